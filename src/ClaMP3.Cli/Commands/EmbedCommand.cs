using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Tokenization;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// <c>clamp3 embed INPUT OUTPUT_DIR --checkpoint FILE</c>: the official <c>extract_clamp3.py</c>. INPUT is a file or a
/// folder walked recursively for <c>.txt .abc .mtf .npy</c> (MERT features); each output is
/// <c>OUTPUT_DIR/&lt;relative path&gt;/&lt;stem&gt;.npy</c>, float32 <c>(1, D)</c> with <c>--global</c>, else <c>(1, N, H)</c>.
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    public Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A .txt/.abc/.mtf/.npy file, or a folder walked recursively for them." };
        var output = new Argument<string>("OUTPUT_DIR") { Description = "Where <relative path>/<stem>.npy outputs go (existing outputs are skipped)." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "CLaMP 3 checkpoint (.pth / .safetensors).", Required = true };
        var config = new Option<string?>("--config") { Description = "config.json (default: a config.json beside the checkpoint naming it, else inferred from the checkpoint)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "XLM-R sentencepiece.bpe.model (default: the config's tokenizer_model); needed for .txt inputs." };
        var global = new Option<bool>("--global") { Description = "Write global features (1, D) instead of sequence features (1, N, H)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { Description = "Segments per forward pass.", DefaultValueFactory = _ => 8 };
        var bf16 = new Option<bool>("--bf16") { Description = "Compute in bfloat16 (faster on CPUs with BF16 support; not the official float32 numbers)." };
        var shard = ShardOption.Create();
        var mert = new Option<string?>("--mert") { Description = "A MERT-v1-95M folder: also embed audio files (.wav .mp3 .flac .ogg) directly, audio → MERT → CLaMP 3 in one run." };
        var command = new Command("embed", "Extract CLaMP 3 features like code/extract_clamp3.py.")
        {
            input, output, checkpoint, config, tokenizer, global, device, batchSize, bf16, mert, shard,
        };
        command.SetAction(parse => ShardOption.TryGet(parse.GetValue(shard), Console.Error, out var shardSpec)
            ? Run(new EmbedJobOptions(
                parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(checkpoint)!, parse.GetValue(config), parse.GetValue(tokenizer),
                parse.GetValue(global), parse.GetValue(device)!, parse.GetValue(batchSize), parse.GetValue(bf16), parse.GetValue(mert), shardSpec), Console.Out, Console.Error)
            : ShardOption.ExitUsage);
        return command;
    }

    internal sealed record EmbedJobOptions(string Input, string OutputDir, string Checkpoint, string? Config, string? Tokenizer,
        bool Global, string Device, int BatchSize, bool BFloat16, string? Mert = null, ShardSpec? Shard = null);

    internal static readonly string[] Extensions = { ".txt", ".abc", ".mtf", ".npy" };
    /// <summary>Audio files, embedded through MERT when <c>--mert</c> is given (matched in any case, as <c>clamp3 mert</c>).</summary>
    internal static readonly string[] AudioExtensions = { ".wav", ".mp3", ".flac", ".ogg" };

    /// <summary>Runs the job; returns the exit code: 0 when at least one file has its output (written now or already there), 1 when none, 2 for a usage or model error.</summary>
    internal static int Run(EmbedJobOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (options.BatchSize < 1) { stderr.WriteLine("error: --batch-size must be at least 1."); return 2; }
        var files = FindInputs(options.Input, stderr, withAudio: options.Mert is not null);
        if (files is null) return 2;
        stdout.WriteLine($"Found {files.Count} files in total");
        if (options.Shard is { } shardSpec)
        {
            files = shardSpec.Select(files);
            stdout.WriteLine($"Shard {shardSpec}: {files.Count} of them (item k of the sorted list goes to shard k mod {shardSpec.Count})");
        }
        else if (files.Count == 0) return 1;

        Clamp3Embedder embedder;
        MertExtractor? mertExtractor = null;
        try
        {
            if (options.Mert is not null) mertExtractor = MertExtractor.Load(options.Mert, options.Device);
            embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(options.Checkpoint)
            {
                ConfigPath = options.Config,
                TokenizerPath = options.Tokenizer,
                Device = options.Device,
                BatchSize = options.BatchSize,
                Precision = options.BFloat16 ? Clamp3Precision.BFloat16 : Clamp3Precision.Float32,
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            mertExtractor?.Dispose();
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        using var mertScope = mertExtractor;
        using (embedder)
        {
            var kind = options.Global ? FeatureKind.Global : FeatureKind.Sequence;
            stdout.WriteLine($"Using device: {embedder.Device}; config: {embedder.Config.Source}");
            var progress = new Progress(files.Count, stdout);
            var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
            var pending = new List<(string Source, string Target, PreparedInput Input)>();

            void Flush()
            {
                if (pending.Count == 0) return;
                IReadOnlyList<FeatureMatrix>? results = null;
                try { results = embedder.Embed(pending.Select(p => p.Input).ToList(), kind); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One bad item fails its whole batch: redo the batch one file at a time to find it.
                    if (pending.Count == 1) { progress.Failed(pending[0].Source, e.Message, stderr); pending.Clear(); return; }
                }
                for (int i = 0; i < pending.Count; i++)
                {
                    var (source, target, prepared) = pending[i];
                    try
                    {
                        var features = results?[i] ?? embedder.Embed(new[] { prepared }, kind)[0];
                        if (kind == FeatureKind.Global) NpyFile.WriteFloat32(target, features.Values, 1, features.Columns);
                        else NpyFile.WriteFloat32(target, features.Values, 1, features.Rows, features.Columns);
                        progress.Succeeded();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException) { progress.Failed(source, e.Message, stderr); }
                }
                pending.Clear();
            }

            foreach (var (source, relative) in files)
            {
                var target = Path.Combine(options.OutputDir, Path.GetDirectoryName(relative) ?? "", Path.GetFileNameWithoutExtension(relative) + ".npy");
                if (claimed.TryGetValue(target, out var other))
                {
                    progress.Skipped($"{source}: skipped, its output {target} is also the output of {other}", stderr);
                    continue;
                }
                claimed[target] = source;
                if (File.Exists(target)) { progress.Skipped(null, stderr); continue; }
                PreparedInput prepared;
                try { prepared = Prepare(embedder, source, stderr, mertExtractor); }
                catch (Exception e) when (e is not OutOfMemoryException) { progress.Failed(source, e.Message, stderr); continue; }
                pending.Add((source, target, prepared));
                if (pending.Count >= options.BatchSize) Flush();
            }
            Flush();
            progress.Finish();
            if (options.Shard is { } spec) return ShardedEmbedding.Finish(spec, options, claimed.Keys, embedder.GlobalDimension, progress.FailedCount, stdout, stderr);
            return progress.SucceededCount + progress.SkippedCount > 0 ? 0 : 1;
        }
    }

    /// <summary>The input files with their paths relative to INPUT (a single file: its own name), in a stable order.</summary>
    internal static List<(string Path, string Relative)>? FindInputs(string input, TextWriter stderr, bool withAudio = false)
    {
        bool Accepted(string f) => Extensions.Any(e => f.EndsWith(e, StringComparison.Ordinal))
            || (withAudio && AudioExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)));
        if (File.Exists(input))
        {
            if (!Accepted(input))
            {
                stderr.WriteLine($"error: {input}: unsupported file type (use {string.Join(" ", withAudio ? Extensions.Concat(AudioExtensions) : Extensions)}{(withAudio ? "" : "; audio needs --mert")}).");
                return null;
            }
            return new List<(string, string)> { (input, Path.GetFileName(input)) };
        }
        if (!Directory.Exists(input)) { stderr.WriteLine($"error: input not found: {input}"); return null; }
        // Extensions are matched case-sensitively, as extract_clamp3.py's endswith does.
        return Directory.EnumerateFiles(input, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Where(Accepted)
            .Select(f => (f, Path.GetRelativePath(input, f)))
            .OrderBy(f => f.Item2, StringComparer.Ordinal)
            .ToList();
    }

    internal static PreparedInput Prepare(Clamp3Embedder embedder, string path, TextWriter stderr, MertExtractor? mert = null)
    {
        PreparedInput prepared;
        if (mert is not null && AudioExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            var features = mert.ExtractFromFile(path);
            if (features.Columns != embedder.Config.AudioFeatureDim)
                throw new InvalidDataException($"{path}: MERT gives {features.Columns}-wide features, the CLaMP 3 audio encoder reads {embedder.Config.AudioFeatureDim}.");
            prepared = embedder.PrepareAudioFeatures(features);
        }
        else if (path.EndsWith(".npy", StringComparison.Ordinal)) prepared = embedder.PrepareAudioFeatures(ReadMertFeatures(path, embedder.Config.AudioFeatureDim, stderr));
        else if (path.EndsWith(".txt", StringComparison.Ordinal)) prepared = embedder.PrepareText(SourceText.ReadFile(path));
        else prepared = embedder.PrepareScore(SourceText.ReadFile(path));
        foreach (var warning in prepared.Warnings) stderr.WriteLine($"warning: {path}: {warning}");
        return prepared;
    }

    /// <summary>A MERT feature file: float32 <c>(1, T, H)</c> (extract_mert.py --mean_features) or <c>(T, H)</c>, H = the audio hidden size.</summary>
    internal static FeatureMatrix ReadMertFeatures(string path, int width, TextWriter stderr)
    {
        NpyArray array;
        try { array = NpyFile.Read(path); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a readable .npy file ({e.Message})", e);
        }
        var shape = "(" + string.Join(", ", array.Shape) + ")";
        if (array.DType != "f4") throw new InvalidDataException($"{path}: MERT features must be float32, got dtype '{array.DType}' {shape}.");
        if (array.Shape.Length is not (2 or 3))
            throw new InvalidDataException($"{path}: MERT features must have shape (1, T, {width}) or (T, {width}), got rank {array.Shape.Length} {shape}.");
        if (array.Shape[^1] != width)
            throw new InvalidDataException($"{path}: MERT features must be {width} wide (the audio hidden size), got {shape}.");
        if (array.Shape.Length == 3 && array.Shape[0] != 1)
            // The official reshape(-1, dim) reads (layers, W, dim) layer-major as one long sequence; we do the same.
            stderr.WriteLine($"warning: {path}: shape {shape} has {array.Shape[0]} leading entries (saved without --mean_features?); read as one sequence of {array.Length / width} rows, as the official code does.");
        long rows = array.Length / width;
        return new FeatureMatrix(array.ToFloat32(), checked((int)rows), width);
    }

    private sealed class Progress
    {
        private readonly int total;
        private readonly TextWriter stdout;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private TimeSpan lastReport = TimeSpan.Zero;
        private int lastReportedDone = -1;

        public Progress(int total, TextWriter stdout) { this.total = total; this.stdout = stdout; }

        public int SucceededCount { get; private set; }
        public int FailedCount { get; private set; }
        public int SkippedCount { get; private set; }
        private int Done => SucceededCount + FailedCount + SkippedCount;

        public void Succeeded() { SucceededCount++; Report(false); }
        public void Failed(string path, string message, TextWriter stderr) { FailedCount++; stderr.WriteLine($"Failed to process {path}: {message}"); Report(false); }
        public void Skipped(string? message, TextWriter stderr) { SkippedCount++; if (message is not null) stderr.WriteLine(message); Report(false); }
        public void Finish() => Report(true);

        private void Report(bool final)
        {
            if (Done == lastReportedDone) return;
            if (!final && clock.Elapsed - lastReport < TimeSpan.FromSeconds(2) && Done != total) return;
            lastReport = clock.Elapsed;
            lastReportedDone = Done;
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            stdout.WriteLine($"[{Done}/{total}] {SucceededCount} embedded, {SkippedCount} skipped, {FailedCount} failed, {SucceededCount / seconds:F2} files/s");
        }
    }
}
