using ClaMP3.ML;
using System.CommandLine;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Scoring;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 export mlnet OUT.zip --modality text|score|audio --checkpoint PTH [--config C] [--tokenizer T] [--mert DIR] [--int8]</c>:
/// a CLaMP 3 featurizer as a standard ML.NET model file (input <c>Text</c>, <c>Music</c> or <c>AudioPath</c>, output <c>Features</c>).</summary>
public sealed class ExportMlNetCommand : IExportCommand
{
    public Command Create()
    {
        var output = new Argument<string>("OUT.zip") { Description = "The ML.NET model file to write (mlContext.Model.Load reads it)." };
        var modality = new Option<string>("--modality") { Description = "text (column Text), score (column Music: interleaved ABC or MTF text) or audio (column AudioPath).", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "CLaMP 3 checkpoint (.pth / .safetensors).", Required = true };
        var config = new Option<string?>("--config") { Description = "config.json (default: a config.json beside the checkpoint naming it, else inferred from the checkpoint)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Text: XLM-R's sentencepiece.bpe.model (carried inside the model file)." };
        var mert = new Option<string?>("--mert") { Description = "Audio: the HF MERT-v1-95M folder (config.json + weights); MERT runs inside the model." };
        var int8 = new Option<bool>("--int8") { Description = "Dynamically quantized int8 weights (smaller and faster; not the parity path)." };
        var missing = new Option<bool>("--missing-value-on-bad-audio") { Description = "Audio: an unreadable or too-short file gives NaN features instead of an error." };
        var command = new Command("mlnet", "Export a CLaMP 3 featurizer as a standard ML.NET model (ApplyOnnxModel + CustomMapping, no TorchSharp needed to score).")
        {
            output, modality, checkpoint, config, tokenizer, mert, int8, missing,
        };
        // Every failure (usage, model, I/O) is one line and exit 2: CliErrors.Start makes it a UsageException for the guard.
        command.SetGuardedAction((parse, stdout, _) => CliErrors.Start(null, () =>
        {
            string modalityName = parse.GetValue(modality)!, outPath = parse.GetValue(output)!;
            var chosen = modalityName.Trim().ToLowerInvariant() switch
            {
                "text" => Modality.Text,
                "score" or "symbolic" => Modality.Symbolic,
                "audio" => Modality.Audio,
                _ => throw new ArgumentException($"--modality must be text, score or audio, not '{modalityName}'."),
            };
            var model = Clamp3ScoringModel.Export(chosen, parse.GetValue(checkpoint)!, parse.GetValue(config), parse.GetValue(tokenizer), parse.GetValue(mert), parse.GetValue(int8));
            model.SaveAsMlNetModel(new MLContext(), outPath, parse.GetValue(missing));
            stdout.WriteLine($"{outPath}: {new FileInfo(outPath).Length:N0} bytes, {chosen} featurizer, input column {Clamp3ScoringModel.InputColumnFor(chosen)}, " +
                             $"output Features ({model.Dimension} floats), {(parse.GetValue(int8) ? "int8" : "float32")}");
            return CliErrors.Ok;
        }));
        return command;
    }
}
