using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.ML.Inference;

/// <summary>The official <c>extract_mert.py</c> over files, as <c>clamp3 mert</c> runs it: one <c>.npy</c> per audio file,
/// the mean over the hidden states <c>(1, W, H)</c> (<c>--mean_features</c>, what CLaMP 3 reads) or every hidden state
/// <c>(L, W, H)</c> with <see cref="SaveLayers"/>. A file that cannot be decoded or is under 1 s fails alone and gets no
/// output, as the official script logs and skips it.</summary>
public sealed class MertFileExtractor
{
    private readonly MertExtractor _extractor;

    /// <summary>A runner over <paramref name="extractor"/> (the caller keeps owning it).</summary>
    public MertFileExtractor(MertExtractor extractor) => _extractor = extractor ?? throw new ArgumentNullException(nameof(extractor));

    /// <summary>Save every hidden state <c>(L, W, H)</c> instead of their mean <c>(1, W, H)</c>.</summary>
    public bool SaveLayers { get; init; }

    /// <summary>Gets one line per file written (windows, audio seconds, speed), per output already there, and a closing
    /// line with the totals.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Ends each file's line (e.g. <see cref="DeviceStatus.Describe"/>: where it runs, memory in use).</summary>
    public Func<string>? Status { get; init; }

    /// <summary>The batch options of <c>clamp3 mert</c>: audio files (<see cref="AudioDecoder.SupportedExtensions"/>, any
    /// case) in, <c>&lt;relative folder&gt;/&lt;stem&gt;.npy</c> out.</summary>
    public static FileBatchOptions BatchOptions(Func<IReadOnlyList<FileBatchItem>, IReadOnlyList<FileBatchItem>>? select = null)
    {
        var extensions = new HashSet<string>(AudioDecoder.SupportedExtensions, StringComparer.OrdinalIgnoreCase);
        return new FileBatchOptions
        {
            Accepts = name => extensions.Contains(Path.GetExtension(name)),
            MapOutput = relative => Path.Combine(Path.GetDirectoryName(relative) ?? "", Path.GetFileNameWithoutExtension(relative) + ".npy"),
            Select = select,
        };
    }

    /// <summary>Extracts every item of <paramref name="batch"/> that has no output yet.</summary>
    public FileBatchReport Run(FileBatch batch, Action<FileBatchResult>? onResult = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        double audioSeconds = 0;
        var clock = Stopwatch.StartNew();
        int results = 0, total = batch.Items.Count;
        var report = batch.Run(item =>
        {
            var fileClock = Stopwatch.StartNew();
            var seconds = Write(item);
            audioSeconds += seconds.Audio;
            Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"[{results + 1}/{total}] {item.InputPath} -> {item.OutputPath} ({seconds.Windows} windows, {seconds.Audio:0.0} s audio, " +
                $"{seconds.Audio / fileClock.Elapsed.TotalSeconds:0.0} audio-s/s; total {audioSeconds / clock.Elapsed.TotalSeconds:0.0} audio-s/s, " +
                $"{(results + 1) / clock.Elapsed.TotalSeconds:0.00} files/s{(Status is null ? "" : "; " + Status())})"));
        }, r =>
        {
            results++;
            if (r.Status == FileBatchStatus.SkippedExisting) Log?.Invoke($"[{results}/{total}] skip {r.Item.InputPath}: output already exists ({r.Item.OutputPath})");
            onResult?.Invoke(r);
        }, cancellationToken);
        double elapsed = clock.Elapsed.TotalSeconds;
        Log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"done: {report.Done} written, {report.SkippedExisting + report.SkippedCollision} skipped (existing), {report.Failed} failed; {audioSeconds:0.0} s of audio in {elapsed:0.0} s " +
            $"({(elapsed > 0 ? audioSeconds / elapsed : 0):0.0} audio-s/s)"));
        return report;
    }

    /// <summary>Extracts one file and writes its output: the windows and the seconds of audio it had.</summary>
    private (int Windows, double Audio) Write(FileBatchItem item)
    {
        var features = _extractor.ExtractLayersFromFile(item.InputPath);
        if (SaveLayers) NpyFile.WriteFloat32(item.OutputPath, features.Values, features.Layers, features.Windows, features.Hidden);
        else
        {
            var mean = features.MeanOverLayers();
            NpyFile.WriteFloat32(item.OutputPath, mean.Values, 1, mean.Rows, mean.Columns);
        }
        return (features.Windows, features.AudioSeconds);
    }
}
