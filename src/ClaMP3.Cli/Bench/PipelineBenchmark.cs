using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ClaMP3.ML;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Preprocessing.Midi;
using ClaMP3.ML.Scoring;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench pipeline</c>: batched IDataView featurization against a row-by-row PredictionEngine loop
/// (what ML.NET's own TorchSharp/ONNX transformers do), same model, same rows, same process.</summary>
public sealed class PipelineBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var shared = new Option<string?>("--shared") { Description = "The shared folder (fixtures and data/real); default: ../shared beside the repository." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "CLaMP 3 checkpoint (default: the clamp3-tiny fixture)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "sentencepiece model (default: the fixture's)." };
        var texts = new Option<int>("--texts") { DefaultValueFactory = _ => 1000, Description = "Text rows." };
        var scores = new Option<int>("--scores") { DefaultValueFactory = _ => 200, Description = "Score (MTF) rows." };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32, Description = "Rows per forward pass in the IDataView run." };
        var command = new Command("pipeline", "IDataView batches vs a row-by-row PredictionEngine, texts and scores.") { shared, checkpoint, tokenizer, texts, scores, batch };
        command.SetAction(parse =>
        {
            string sharedDir = parse.GetValue(shared) ?? FindShared();
            string tiny = Path.Combine(sharedDir, "fixtures", "clamp3-tiny");
            string? ckpt = parse.GetValue(checkpoint);
            var options = new Clamp3FeaturizerOptions
            {
                CheckpointPath = ckpt ?? Path.Combine(tiny, "clamp3_tiny.pth"),
                ConfigPath = ckpt == null ? Path.Combine(tiny, "config.json") : null,
                TokenizerPath = parse.GetValue(tokenizer) ?? Path.Combine(sharedDir, "fixtures", "tokenizer", "spm.model"),
                BatchSize = parse.GetValue(batch),
            };
            string real = Path.Combine(sharedDir, "data", "real");
            var catalog = File.ReadLines(Path.Combine(real, "catalog.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var descriptions = catalog.Select(e => e.GetProperty("description").GetString()!).ToList();
            var textRows = Enumerable.Range(0, parse.GetValue(texts))
                .Select(i => new Row { Input = $"{descriptions[i % descriptions.Count]} (variant {i / descriptions.Count})" }).ToList();
            var mtfs = catalog.Select(e => MidiToMtf.Convert(File.ReadAllBytes(Path.Combine(real, e.GetProperty("midi").GetString()!)), true)).ToList();
            var scoreRows = Enumerable.Range(0, parse.GetValue(scores)).Select(i => new Row { Input = mtfs[i % mtfs.Count] }).ToList();

            Console.WriteLine($"model {options.CheckpointPath}, IDataView batch {options.BatchSize}, libtorch threads {TorchSharp.torch.get_num_threads()}");
            // The ONNX columns: the same batched IDataView transform over the ONNX engine, and the standard-model route
            // (ApplyOnnxModel + CustomMapping, saved with mlContext.Model.Save) that ML.NET runs one row per ONNX call.
            using var scratch = new ScratchFolder("pipeline");
            string onnxFolder = scratch.Path;
            Clamp3OnnxExporter.Export(options.CheckpointPath, onnxFolder, options.ConfigPath);
            Console.WriteLine($"{"input",-8} {"rows",6} {"IDataView rows/s",17} {"PredictionEngine rows/s",24} {"ratio",7} {"ONNX IDataView rows/s",22} {"standard model rows/s",22} {"ratio",7}");
            foreach (var (name, modality, rows) in new[] { ("text", Modality.Text, textRows), ("score", Modality.Symbolic, scoreRows) })
            {
                var ml = new MLContext(seed: 0);
                Clamp3FeaturizerOptions Featurizer(string? onnxDirectory) => new()
                {
                    CheckpointPath = options.CheckpointPath, ConfigPath = options.ConfigPath, TokenizerPath = options.TokenizerPath,
                    BatchSize = options.BatchSize, Modality = modality, InputColumnName = nameof(Row.Input), OnnxDirectory = onnxDirectory,
                };
                var data = ml.Data.LoadFromEnumerable(rows);
                var model = ml.Transforms.FeaturizeClamp3(Featurizer(null)).Fit(data);
                double batchedRate = Rate(ml, model, data);

                var engine = ml.Model.CreatePredictionEngine<Row, Output>(model);
                var clock = Stopwatch.StartNew();
                foreach (var row in rows) engine.Predict(row);
                double singleRate = rows.Count / clock.Elapsed.TotalSeconds;
                double onnxRate = Rate(ml, ml.Transforms.FeaturizeClamp3(Featurizer(onnxFolder)).Fit(data), data);
                var scoring = Clamp3ScoringModel.Export(modality, options.CheckpointPath, options.ConfigPath, options.TokenizerPath);
                double standardRate = Rate(ml, ml.Transforms.FeaturizeClamp3ForScoring(scoring, inputColumnName: nameof(Row.Input)).Fit(data), data);
                Console.WriteLine($"{name,-8} {rows.Count,6} {batchedRate,17:F1} {singleRate,24:F1} {batchedRate / singleRate,6:F2}× {onnxRate,22:F1} {standardRate,22:F1} {onnxRate / standardRate,6:F2}×");
            }
            return 0;
        });
        return command;
    }

    /// <summary>Rows/s of a fitted featurizer over all rows (after a two-row warm-up).</summary>
    private static double Rate(MLContext ml, ITransformer model, IDataView data)
    {
        model.Transform(ml.Data.TakeRows(data, 2)).GetColumn<VBuffer<float>>("Features").ToList();
        var clock = Stopwatch.StartNew();
        int n = model.Transform(data).GetColumn<VBuffer<float>>("Features").Count();
        return n / clock.Elapsed.TotalSeconds;
    }

    private sealed class Row
    {
        public string Input { get; set; } = "";
    }

    private sealed class Output
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClaMP3.ML.sln"))) return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new DirectoryNotFoundException("Could not find ../shared; pass --shared DIR.");
    }
}
