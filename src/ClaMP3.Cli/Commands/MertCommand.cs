using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Preprocessing.Audio;

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
        command.SetAction(r => CliErrors.Guard(r.InvocationConfiguration.Error, () =>
        {
            var shardSpec = ShardOption.Parse(r.GetValue(shard));
            if (r.GetValue(onnx) is null && r.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(r.GetValue(threads));
            return Run(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(model), r.GetValue(device)!, r.GetValue(layers), r.GetValue(batch),
                r.InvocationConfiguration.Output, r.InvocationConfiguration.Error, r.GetValue(onnx), Math.Max(0, r.GetValue(threads)), shardSpec);
        }));
        return command;
    }

    /// <summary>The batch options of <c>clamp3 mert</c>: audio files in any case, <c>&lt;relative folder&gt;/&lt;stem&gt;.npy</c>.</summary>
    internal static FileBatchOptions BatchOptions(Func<IReadOnlyList<FileBatchItem>, IReadOnlyList<FileBatchItem>>? select = null)
    {
        var extensions = new HashSet<string>(AudioDecoder.SupportedExtensions, StringComparer.OrdinalIgnoreCase);
        return new FileBatchOptions
        {
            Accepts = name => extensions.Contains(Path.GetExtension(name)),
            MapOutput = relative => Path.Combine(Path.GetDirectoryName(relative) ?? "", Path.GetFileNameWithoutExtension(relative) + ".npy"),
            Select = select,
        };
    }

    /// <summary>Exit code per <see cref="CliErrors"/>: 0 every file has its output, 1 a file failed (reported and
    /// skipped, as the official script logs and skips it), 2 nothing could be started (bad model or input path).</summary>
    internal static int Run(string input, string outputDir, string? modelDir, string device, bool saveLayers, int batch,
        TextWriter? stdout = null, TextWriter? stderr = null, string? onnxDirectory = null, int threads = 0, ShardSpec? shard = null)
    {
        var log = stdout ?? Console.Out;
        var err = stderr ?? Console.Error;
        return CliErrors.Guard(err, () =>
        {
            var plan = CliErrors.Start(null, () => FileBatch.Plan(input, outputDir, BatchOptions(ShardOption.Selector<FileBatchItem>(shard))));
            if (modelDir is null && onnxDirectory is null) throw new UsageException("--model is required (or --onnx DIR from `clamp3 export onnx --mert`).");
            using var extractor = onnxDirectory is not null
                ? CliErrors.Start(onnxDirectory, () => new MertExtractor(new OnnxMertEngine(onnxDirectory, threads, OnnxSessions.IsCuda(device),
                    modelDir is null ? null : MertOnnxExporter.WeightsFile(modelDir))))
                : CliErrors.Start(modelDir, () => MertExtractor.Load(modelDir!, device));
            extractor.MaxBatchWindows = Math.Max(1, batch);
            log.WriteLine($"MERT: {extractor.Config}; {plan.Items.Count} audio file(s) under {input}");

            double audioSeconds = 0;
            var clock = Stopwatch.StartNew();
            int index = 0;
            var report = plan.Run(item =>
            {
                var fileClock = Stopwatch.StartNew();
                var features = extractor.ExtractLayersFromFile(item.InputPath);
                var mean = saveLayers ? null : features.MeanOverLayers();
                if (mean is null) NpyFile.WriteFloat32(item.OutputPath, features.Values, features.Layers, features.Windows, features.Hidden);
                else NpyFile.WriteFloat32(item.OutputPath, mean.Values, 1, mean.Rows, mean.Columns);
                audioSeconds += features.AudioSeconds;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{index + 1}/{plan.Items.Count}] {item.InputPath} -> {item.OutputPath} ({features.Windows} windows, {features.AudioSeconds:0.0} s audio, " +
                    $"{features.AudioSeconds / fileClock.Elapsed.TotalSeconds:0.0} audio-s/s; total {audioSeconds / clock.Elapsed.TotalSeconds:0.0} audio-s/s, " +
                    $"{(index + 1) / clock.Elapsed.TotalSeconds:0.00} files/s; {DeviceStatus.Describe(device)})"));
            }, r =>
            {
                index++;
                if (r.Status == FileBatchStatus.SkippedExisting) log.WriteLine($"[{index}/{plan.Items.Count}] skip {r.Item.InputPath}: output already exists ({r.Item.OutputPath})");
                CliErrors.Report(r, err);
            });
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done: {report.Done} written, {report.SkippedExisting + report.SkippedCollision} skipped (existing), {report.Failed} failed; {audioSeconds:0.0} s of audio in {clock.Elapsed.TotalSeconds:0.0} s " +
                $"({(clock.Elapsed.TotalSeconds > 0 ? audioSeconds / clock.Elapsed.TotalSeconds : 0):0.0} audio-s/s)"));
            return CliErrors.ExitCode(report, "audio files", err);
        });
    }
}
