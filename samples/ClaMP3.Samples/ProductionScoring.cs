using ClaMP3.ML;
using ClaMP3.ML.Scoring;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.Samples;

/// <summary>Production scoring the standard ML.NET way: train a probe on CLaMP 3 features, save the whole pipeline
/// (MIDI → MTF, CLaMP 3 score encoder as ONNX, the probe) with <c>mlContext.Model.Save</c>, then load it with
/// <c>mlContext.Model.Load</c> as any ML.NET app would — samples/ScoringApp does that in a separate app that references
/// only ClaMP3.ML, Microsoft.ML and Microsoft.ML.OnnxTransformer (no TorchSharp).</summary>
internal static class ProductionScoring
{
    public sealed class Request
    {
        public string MidiPath { get; set; } = "";
    }

    public sealed class Response
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    public static void Run(SampleSetup setup)
    {
        var ml = new MLContext(seed: 0);
        var pieces = setup.Pieces();
        var data = ml.Data.LoadFromEnumerable(pieces);
        // The label mapping is fitted apart and not saved: the saved model then scores rows that have no label.
        var labeled = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Piece.Mode)).Fit(data).Transform(data);
        var encoder = Clamp3ScoringModel.Export(Modality.Symbolic, setup.CheckpointPath, setup.ConfigPath);
        var pipeline = ml.Transforms.ConvertMidiToMtfForScoring()
            .Append(ml.Transforms.FeaturizeClamp3ForScoring(encoder))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(labeled);
        string folder = Path.Combine(Path.GetTempPath(), "clamp3-samples-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "mode-probe.zip");
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(Array.Empty<Request>()).Schema, path);
            Console.WriteLine($"Saved a standard ML.NET model (ONNX encoder inside): {path} ({new FileInfo(path).Length / 1024} KiB)");

            // What a production app does: a fresh MLContext, the scoring assembly registered, Model.Load, a PredictionEngine.
            var serving = new MLContext();
            serving.ComponentCatalog.RegisterAssembly(typeof(Clamp3ScoringModel).Assembly);
            var loaded = serving.Model.Load(path, out _);
            var engine = serving.Model.CreatePredictionEngine<Request, Response>(loaded);
            foreach (var piece in pieces.Take(5))
            {
                var response = engine.Predict(new Request { MidiPath = piece.MidiPath });
                Console.WriteLine($"{Path.GetFileName(piece.MidiPath),-34} → {response.PredictedLabel} (catalog: {piece.Mode})");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
