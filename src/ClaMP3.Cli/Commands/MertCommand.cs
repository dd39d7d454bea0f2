using System.CommandLine;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 mert INPUT OUTPUT_DIR --model DIR</c>: MERT features as CLaMP 3's
/// <c>extract_mert.py --mean_features</c> saves them, one <c>.npy</c> (1, W, H) per audio file.</summary>
public sealed class MertCommand : ICliCommand
{
    public Command Create()
    {
        var input = new Argument<string>("input") { Description = "An audio file or a folder searched recursively (.wav .mp3 .flac .ogg, any case)." };
        var output = new Argument<string>("output-dir") { Description = "Folder for <relative path>/<stem>.npy; existing outputs are skipped (resume)." };
        var model = new Option<string?>("--model") { Description = "HF MERT folder: config.json + model.safetensors or pytorch_model.bin (e.g. m-a-p/MERT-v1-95M); with --onnx optional (when given, the export must come from its weights)." };
        var onnx = new Option<string?>("--onnx") { Description = "A folder from `clamp3 export onnx --mert`: run MERT in ONNX Runtime (--threads sets its threads)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var layers = new Option<bool>("--layers") { Description = "Save every hidden state (L, W, H) instead of their mean (1, W, H) (extract_mert.py without --mean_features)." };
        var batch = new Option<int>("--batch") { Description = "5 s windows per forward pass.", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0 = its default: one per core; use fewer on a shared machine).", DefaultValueFactory = _ => 0 };
        var shard = ShardOption.Create();
        var command = new Command("mert", "Extract MERT features from audio files (what CLaMP 3's audio encoder reads).")
        {
            input, output, model, device, layers, batch, threads, onnx, shard,
        };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            var shardSpec = ShardOption.Parse(parse.GetValue(shard));
            string? modelDir = parse.GetValue(model), onnxDir = parse.GetValue(onnx);
            string inputPath = parse.GetValue(input)!, deviceName = parse.GetValue(device)!;
            if (onnxDir is null && parse.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(parse.GetValue(threads));
            var plan = CliErrors.Start(null, () => FileBatch.Plan(inputPath, parse.GetValue(output)!, MertFileExtractor.BatchOptions(ShardSpec.Selector<FileBatchItem>(shardSpec))));
            if (modelDir is null && onnxDir is null) throw new UsageException("--model is required (or --onnx DIR from `clamp3 export onnx --mert`).");
            using var extractor = CliErrors.Start(onnxDir ?? modelDir, () => MertExtractor.Open(modelDir, onnxDir, deviceName, Math.Max(0, parse.GetValue(threads))));
            extractor.MaxBatchWindows = Math.Max(1, parse.GetValue(batch));
            stdout.WriteLine($"MERT: {extractor.Config}; {plan.Items.Count} audio file(s) under {inputPath}");
            var files = new MertFileExtractor(extractor) { SaveLayers = parse.GetValue(layers), Log = stdout.WriteLine, Status = () => DeviceStatus.Describe(deviceName) };
            var report = files.Run(plan, r => CliErrors.Report(r, stderr));
            // Exit 1 when a file failed (reported and skipped, as the official script logs and skips it).
            return CliErrors.ExitCode(report, "audio files", stderr);
        });
        return command;
    }
}
