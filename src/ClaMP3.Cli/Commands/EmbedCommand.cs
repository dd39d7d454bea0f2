using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Onnx;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// <c>clamp3 embed INPUT OUTPUT_DIR --checkpoint FILE</c>: the official <c>extract_clamp3.py</c>, run by
/// <see cref="Clamp3FileEmbedder"/>. INPUT is a file or a folder walked recursively for <c>.txt .abc .mtf .npy</c> (MERT
/// features); each output is <c>OUTPUT_DIR/&lt;relative path&gt;/&lt;stem&gt;.npy</c>, float32 <c>(1, D)</c> with
/// <c>--global</c>, else <c>(1, N, H)</c>.
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    public Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A .txt/.abc/.mtf/.npy file, or a folder walked recursively for them." };
        var output = new Argument<string>("OUTPUT_DIR") { Description = "Where <relative path>/<stem>.npy outputs go (existing outputs are skipped)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "CLaMP 3 checkpoint (.pth / .safetensors); with --onnx optional (when given, the folder must come from it)." };
        var config = new Option<string?>("--config") { Description = "config.json (default: a config.json beside the checkpoint naming it, else inferred from the checkpoint)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "XLM-R sentencepiece.bpe.model (default: the config's tokenizer_model); needed for .txt inputs." };
        var global = new Option<bool>("--global") { Description = "Write global features (1, D) instead of sequence features (1, N, H)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { Description = "Segments per forward pass.", DefaultValueFactory = _ => 8 };
        var bf16 = new Option<bool>("--bf16") { Description = "Compute in bfloat16 (faster on CPUs with BF16 support; not the official float32 numbers)." };
        var mert = new Option<string?>("--mert") { Description = "A MERT-v1-95M folder: also embed audio files (.wav .mp3 .flac .ogg) directly, audio → MERT → CLaMP 3 in one run." };
        var onnx = new Option<string?>("--onnx") { Description = "A folder from `clamp3 export onnx`: run the encoders (and MERT, when exported with --mert) in ONNX Runtime." };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the ONNX Runtime engine (0 = one per core).", DefaultValueFactory = _ => 0 };
        var shard = ShardOption.Create();
        var command = new Command("embed", "Extract CLaMP 3 features like code/extract_clamp3.py.")
        {
            input, output, checkpoint, config, tokenizer, global, device, batchSize, bf16, mert, onnx, threads, shard,
        };
        command.SetAction(parse => Run(new EmbedJobOptions(
            parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(checkpoint), parse.GetValue(config), parse.GetValue(tokenizer),
            parse.GetValue(global), parse.GetValue(device)!, parse.GetValue(batchSize), parse.GetValue(bf16), parse.GetValue(mert),
            parse.GetValue(onnx), parse.GetValue(threads), parse.GetValue(shard)),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    internal sealed record EmbedJobOptions(string Input, string OutputDir, string? Checkpoint, string? Config, string? Tokenizer,
        bool Global, string Device, int BatchSize, bool BFloat16, string? Mert = null, string? Onnx = null, int Threads = 0, string? Shard = null);

    /// <summary>Runs the job; the exit code follows <see cref="CliErrors"/>: 0 every file has its output, 1 a file
    /// failed (or none was found), 2 a usage or model error.</summary>
    internal static int Run(EmbedJobOptions options, TextWriter stdout, TextWriter stderr) => CliErrors.Guard(stderr, () =>
    {
        if (options.BatchSize < 1) throw new UsageException("--batch-size must be at least 1.");
        if (options.Checkpoint is null && options.Onnx is null) throw new UsageException("--checkpoint is required (or --onnx DIR from `clamp3 export onnx`).");
        if (options.Threads < 0) throw new UsageException("--threads must be 0 (one per core) or positive.");
        var shard = ShardOption.Parse(options.Shard);
        var onnxManifest = options.Onnx is null ? null : CliErrors.Start(options.Onnx, () => OnnxExportManifest.Load(options.Onnx));
        bool onnxMert = onnxManifest?.Model("mert") is not null;
        bool withAudio = options.Mert is not null || onnxMert;
        if (File.Exists(options.Input) && !Clamp3FileEmbedder.Accepts(Path.GetFileName(options.Input), withAudio))
            throw new UsageException($"{options.Input}: unsupported file type (use {string.Join(" ", withAudio ? Clamp3FileEmbedder.Extensions.Concat(Clamp3FileEmbedder.AudioExtensions) : Clamp3FileEmbedder.Extensions)}{(withAudio ? "" : "; audio needs --mert")}).");
        var batch = CliErrors.Start(null, () => FileBatch.Plan(options.Input, options.OutputDir, Clamp3FileEmbedder.BatchOptions(withAudio, ShardOption.Selector<FileBatchItem>(shard))));
        stdout.WriteLine(shard is null ? $"Found {batch.Items.Count} files in total" : $"Shard {shard}: {batch.Items.Count} files (item k of the sorted inputs goes to shard k mod {shard.Value.Count})");
        if (batch.Items.Count == 0 && shard is null) return CliErrors.ExitCode(new FileBatchReport([], TimeSpan.Zero), "input files", stderr);

        using var mertExtractor = onnxMert
            ? CliErrors.Start(null, () => new MertExtractor(new OnnxMertEngine(options.Onnx!, options.Threads, OnnxSessions.IsCuda(options.Device))))
            : options.Mert is null ? null : CliErrors.Start(options.Mert, () => MertExtractor.Load(options.Mert, options.Device));
        using var embedder = CliErrors.Start(null, () => Clamp3Embedder.Load(new Clamp3EmbedderOptions(options.Checkpoint ?? "")
        {
            OnnxDirectory = options.Onnx,
            Threads = options.Threads,
            ConfigPath = options.Config,
            TokenizerPath = options.Tokenizer,
            Device = options.Device,
            BatchSize = options.BatchSize,
            Precision = options.BFloat16 ? Clamp3Precision.BFloat16 : Clamp3Precision.Float32,
        }));
        stdout.WriteLine($"Using engine: {embedder.Engine.Description}; config: {embedder.Config.Source}");
        var job = new Clamp3FileEmbedder(embedder, mertExtractor)
        {
            Kind = options.Global ? FeatureKind.Global : FeatureKind.Sequence,
            Warn = line => stderr.WriteLine($"warning: {line}"),
        };
        var progress = new Progress(batch.Items.Count, stdout, options.Device);
        var report = job.Run(batch, r => { CliErrors.Report(r, stderr); progress.Add(r); });
        progress.Finish();
        if (shard is { } spec) return ShardedEmbedding.Finish(spec, options, report, embedder.GlobalDimension, stdout, stderr);
        return CliErrors.ExitCode(report, "input files", stderr);
    });

    /// <summary>A progress line every 2 s and at the end: <c>[done/total] N embedded, N skipped, N failed, r files/s; device and its memory in use</c>.</summary>
    private sealed class Progress(int total, TextWriter stdout, string device)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastReport = TimeSpan.Zero;
        private int _lastReportedDone = -1, _succeeded, _failed, _skipped;
        private int Done => _succeeded + _failed + _skipped;

        public void Add(FileBatchResult result)
        {
            switch (result.Status)
            {
                case FileBatchStatus.Done: _succeeded++; break;
                case FileBatchStatus.Failed: _failed++; break;
                default: _skipped++; break;
            }
            Report(false);
        }

        public void Finish() => Report(true);

        private void Report(bool final)
        {
            if (Done == _lastReportedDone) return;
            if (!final && _clock.Elapsed - _lastReport < TimeSpan.FromSeconds(2) && Done != total) return;
            _lastReport = _clock.Elapsed;
            _lastReportedDone = Done;
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
            stdout.WriteLine($"[{Done}/{total}] {_succeeded} embedded, {_skipped} skipped, {_failed} failed, {_succeeded / seconds:F2} files/s; {DeviceStatus.Describe(device)}");
        }
    }
}
