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
        command.SetAction(r => Run(r.GetValue(output)!, r.GetValue(checkpoint), r.GetValue(config), r.GetValue(mert),
            r.GetValue(int8) ? "int8" : r.GetValue(precision)!, Console.Out, Console.Error));
        return command;
    }

    /// <summary>0 on success, 2 on a usage, model or I/O error (one line naming the file or tensor).</summary>
    internal static int Run(string output, string? checkpoint, string? config, string? mert, string precisionChoice, TextWriter stdout, TextWriter stderr)
    {
        // Every failure (usage, model, I/O) is one line and exit 2: CliErrors.Start makes it a UsageException for Guard.
        return CliErrors.Guard(stderr, () => CliErrors.Start(null, () =>
        {
            if (checkpoint is null && mert is null) throw new ArgumentException("--checkpoint is required (or --mert for a MERT-only export).");
            var precision = CpuFeatures.ResolveOnnxPrecision(precisionChoice);
            var manifest = checkpoint is not null
                ? Clamp3OnnxExporter.Export(checkpoint, output, config, precision, mert)
                : MertOnnxExporter.Export(mert!, output, precision);
            foreach (var m in manifest.Models) stdout.WriteLine($"{Path.Combine(output, m.File)}: {m.Bytes:N0} bytes, sha256 {m.Sha256}");
            stdout.WriteLine($"exported {manifest.Models.Count} model(s), {(precision == OnnxPrecision.Int8 ? "int8" : "float32")}, opset {manifest.Opset} (CPU: {CpuFeatures.Summary()})");
            return CliErrors.Ok;
        }));
    }
}
