using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
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
        var model = new Option<string>("--model") { Description = "HF MERT folder: config.json + model.safetensors or pytorch_model.bin (e.g. m-a-p/MERT-v1-95M).", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var layers = new Option<bool>("--layers") { Description = "Save every hidden state (L, W, H) instead of their mean (1, W, H) (extract_mert.py without --mean_features)." };
        var batch = new Option<int>("--batch") { Description = "5 s windows per forward pass.", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0 = its default: one per core; use fewer on a shared machine).", DefaultValueFactory = _ => 0 };
        var shard = ShardOption.Create();
        var command = new Command("mert", "Extract MERT features from audio files (what CLaMP 3's audio encoder reads).")
        {
            input, output, model, device, layers, batch, threads, shard,
        };
        command.SetAction(r =>
        {
            if (!ShardOption.TryGet(r.GetValue(shard), Console.Error, out var shardSpec)) return ShardOption.ExitUsage;
            if (r.GetValue(threads) > 0) TorchSharp.torch.set_num_threads(r.GetValue(threads));
            return Run(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(model)!, r.GetValue(device)!, r.GetValue(layers), r.GetValue(batch), shard: shardSpec);
        });
        return command;
    }

    /// <summary>Returns 0 when the run completed (files that could not be read are reported and skipped, as the official
    /// script logs and skips them), 1 when nothing could be started (bad model or input path).</summary>
    internal static int Run(string input, string outputDir, string modelDir, string device, bool saveLayers, int batch,
        TextWriter? stdout = null, TextWriter? stderr = null, ShardSpec? shard = null)
    {
        var log = stdout ?? Console.Out;
        var err = stderr ?? Console.Error;
        List<(string Source, string Target)> jobs;
        try
        {
            jobs = Plan(input, outputDir);
            if (shard is { } spec) jobs = spec.Select(jobs); // Plan's order is the sorted input list
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            err.WriteLine($"error: {e.Message}");
            return 1;
        }

        MertExtractor extractor;
        try
        {
            extractor = MertExtractor.Load(modelDir, device);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            err.WriteLine($"error: cannot load the MERT model: {e.Message}");
            return 1;
        }
        using var _ = extractor;
        extractor.MaxBatchWindows = Math.Max(1, batch);
        log.WriteLine($"MERT: {extractor.Config}; {jobs.Count} audio file(s) under {input}");

        int done = 0, skipped = 0, failed = 0;
        double audioSeconds = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < jobs.Count; i++)
        {
            var (source, target) = jobs[i];
            string tag = $"[{i + 1}/{jobs.Count}]";
            if (File.Exists(target))
            {
                skipped++;
                log.WriteLine($"{tag} skip {source}: output already exists ({target})");
                continue;
            }
            try
            {
                var fileClock = Stopwatch.StartNew();
                var features = extractor.ExtractLayersFromFile(source);
                if (saveLayers)
                    NpyFile.WriteFloat32(target, features.Values, features.Layers, features.Windows, features.Hidden);
                else
                {
                    var mean = features.MeanOverLayers();
                    NpyFile.WriteFloat32(target, mean.Values, 1, mean.Rows, mean.Columns);
                }
                done++;
                audioSeconds += features.AudioSeconds;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{tag} {source} -> {target} ({features.Windows} windows, {features.AudioSeconds:0.0} s audio, " +
                    $"{features.AudioSeconds / fileClock.Elapsed.TotalSeconds:0.0} audio-s/s; total {audioSeconds / clock.Elapsed.TotalSeconds:0.0} audio-s/s)"));
            }
            catch (Exception e) when (e is AudioDecodingException or AudioTooShortException or IOException or InvalidDataException
                                           or ArgumentException or NotSupportedException or UnauthorizedAccessException or OutOfMemoryException)
            {
                failed++;
                err.WriteLine(e.Message.Contains(source, StringComparison.Ordinal) ? $"{tag} failed: {e.Message}" : $"{tag} failed {source}: {e.Message}");
            }
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {done} written, {skipped} skipped (existing), {failed} failed; {audioSeconds:0.0} s of audio in {clock.Elapsed.TotalSeconds:0.0} s " +
            $"({(clock.Elapsed.TotalSeconds > 0 ? audioSeconds / clock.Elapsed.TotalSeconds : 0):0.0} audio-s/s)"));
        // A shard task with a failed file exits 1 so that the scheduler marks it failed (a plain run keeps exit 0, as the official script).
        return shard is not null && failed > 0 ? 1 : 0;
    }

    /// <summary>(audio file, output .npy) pairs: a file maps to OUTPUT_DIR/stem.npy, a folder's files to
    /// OUTPUT_DIR/relative folder/stem.npy, in ordinal path order.</summary>
    internal static List<(string Source, string Target)> Plan(string input, string outputDir)
    {
        var extensions = new HashSet<string>(AudioDecoder.SupportedExtensions, StringComparer.OrdinalIgnoreCase);
        if (File.Exists(input))
            return new() { (input, Path.Combine(outputDir, Path.GetFileNameWithoutExtension(input) + ".npy")) };
        if (!Directory.Exists(input))
            throw new FileNotFoundException($"input not found: {input}");
        var root = Path.GetFullPath(input);
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => extensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f =>
            {
                var relativeDir = Path.GetDirectoryName(Path.GetRelativePath(root, f)) ?? "";
                return (f, Path.Combine(outputDir, relativeDir, Path.GetFileNameWithoutExtension(f) + ".npy"));
            })
            .ToList();
    }
}
