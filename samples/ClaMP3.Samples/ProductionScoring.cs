using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.Samples;

/// <summary>Production scoring: train once, save the whole pipeline (CLaMP 3 transforms + the trained probe) as one
/// file with the weights inside, then load it elsewhere and score single MIDI files with a PredictionEngine.</summary>
internal static class ProductionScoring
{
    public sealed class Request
    {
        public string MidiPath { get; set; } = "";
        public string Mode { get; set; } = "";
    }

    public sealed class Response
    {
        public string PredictedMode { get; set; } = "";
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    public static void Run(SampleSetup setup)
    {
        var ml = new MLContext(seed: 0);
        var pieces = setup.Pieces();
        var data = ml.Data.LoadFromEnumerable(pieces);
        var model = LinearProbe.ProbePipeline(ml, setup).Fit(data);
        // A name unique to this run: two runs at once must not overwrite each other's model file.
        string path = Path.Combine(Path.GetTempPath(), $"clamp3-mode-probe-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveClamp3(model, data.Schema, path, new Clamp3SaveOptions { IncludeWeights = true });
            Console.WriteLine($"Saved the pipeline with its weights: {path} ({new FileInfo(path).Length / 1024} KiB)");

            // What a production app does: a fresh MLContext, the model file, a PredictionEngine. The included weights are
            // unpacked (checked against their SHA-256) into the user's private cache folder, shared by later loads.
            var serving = new MLContext();
            var loaded = serving.Model.LoadClamp3(path, out _);
            var engine = serving.Model.CreatePredictionEngine<Request, Response>(loaded); // the input schema comes from Request
            foreach (var piece in pieces.Take(5))
            {
                var response = engine.Predict(new Request { MidiPath = piece.MidiPath });
                Console.WriteLine($"{Path.GetFileName(piece.MidiPath),-34} → {response.PredictedMode} (catalog: {piece.Mode})");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
