using System.CommandLine;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Onnx;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 export onnx OUT_DIR --checkpoint PTH [--config C] [--mert MERT_DIR] [--int8 | --precision P]</c>.</summary>
public sealed class ExportOnnxCommand : IExportCommand
{
    public Command Create()
    {
        var output = new Argument<string>("OUT_DIR") { Description = "Folder for text/symbolic/audio(.onnx), mert.onnx, config.json and manifest.json." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "CLaMP 3 checkpoint (.pth / .safetensors); may be left out with --mert for a MERT-only export." };
        var config = new Option<string?>("--config") { Description = "config.json (default: a config.json beside the checkpoint naming it, else inferred from the checkpoint)." };
        var mert = new Option<string?>("--mert") { Description = "An HF MERT folder (config.json + weights) to export as mert.onnx too." };
        var int8 = new Option<bool>("--int8") { Description = "Dynamically quantized models (int8 weights per output channel, activations quantized at run time)." };
        var precision = new Option<string>("--precision") { Description = "fp32 (default), int8, or auto (int8 only where the CPU has native int8 dot products).", DefaultValueFactory = _ => "fp32" };
        var command = new Command("onnx", "Export the CLaMP 3 encoders (and MERT) to ONNX for ONNX Runtime and ML.NET's OnnxTransformer.")
        {
            output, checkpoint, config, mert, int8, precision,
        };
        // Every failure (usage, model, I/O) is one line and exit 2: CliErrors.Start makes it a UsageException for the guard.
        command.SetGuardedAction((parse, stdout, _) => CliErrors.Start(null, () =>
        {
            string outDir = parse.GetValue(output)!;
            string? checkpointPath = parse.GetValue(checkpoint), mertDir = parse.GetValue(mert);
            if (checkpointPath is null && mertDir is null) throw new ArgumentException("--checkpoint is required (or --mert for a MERT-only export).");
            var chosen = CpuFeatures.ResolveOnnxPrecision(parse.GetValue(int8) ? "int8" : parse.GetValue(precision)!);
            var manifest = checkpointPath is not null
                ? Clamp3OnnxExporter.Export(checkpointPath, outDir, parse.GetValue(config), chosen, mertDir)
                : MertOnnxExporter.Export(mertDir!, outDir, chosen);
            foreach (var m in manifest.Models) stdout.WriteLine($"{Path.Combine(outDir, m.File)}: {m.Bytes:N0} bytes, sha256 {m.Sha256}");
            stdout.WriteLine($"exported {manifest.Models.Count} model(s), {(chosen == OnnxPrecision.Int8 ? "int8" : "float32")}, opset {manifest.Opset} (CPU: {CpuFeatures.Summary()})");
            return CliErrors.Ok;
        }));
        return command;
    }
}
