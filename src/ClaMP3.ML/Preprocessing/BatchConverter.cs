using ClaMP3.ML.IO;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClaMP3.ML.Preprocessing;

/// <summary>What happened to one input file.</summary>
public enum BatchFileStatus
{
    Converted,
    /// <summary>The output already existed (a resumed run); nothing was written.</summary>
    SkippedExisting,
    /// <summary>Another input of this run maps to the same output name (e.g. <c>x.xml</c> and <c>x.mxl</c> → <c>x.abc</c>); the first in path order wins.</summary>
    SkippedCollision,
    /// <summary>Rejected by the converter or failed to read/write; <see cref="BatchFileResult.Reason"/> says why.</summary>
    Failed,
}

/// <param name="InputPath">Full path of the input.</param>
/// <param name="RelativePath">The input's path relative to the batch input folder (its file name for a single-file input).</param>
/// <param name="OutputPath">Where the output is (or would have been) written.</param>
/// <param name="Reason">Why the file was skipped or failed (the official script's reason where it has one).</param>
/// <param name="Warnings">What the official script would have printed for this file.</param>
public sealed record BatchFileResult(
    string InputPath, string RelativePath, string OutputPath, BatchFileStatus Status, string? Reason,
    IReadOnlyList<string> Warnings, long InputBytes, long OutputBytes);

/// <summary>The outcome of a batch run; lists are in input path order.</summary>
public sealed record BatchReport(
    string ConverterName, IReadOnlyList<BatchFileResult> Converted, IReadOnlyList<BatchFileResult> Skipped,
    IReadOnlyList<BatchFileResult> Failed, TimeSpan Elapsed)
{
    public int FilesFound => Converted.Count + Skipped.Count + Failed.Count;
    /// <summary>Bytes read from the inputs that were converted.</summary>
    public long InputBytes => Converted.Sum(r => r.InputBytes);
    public long OutputBytes => Converted.Sum(r => r.OutputBytes);

    /// <summary>The converter's input extensions (set by <see cref="BatchConverter.Run"/>).</summary>
    public IReadOnlyList<string> InputExtensions { get; init; } = [];
    /// <summary>Full path of the output folder (set by <see cref="BatchConverter.Run"/>).</summary>
    public string OutputDirectory { get; init; } = "";

    /// <summary>The run in one line: <c>midi2mtf: 3 converted, 1 already there, 0 name collisions, 1 rejected, of 5
    /// .mid/.midi files; 0.01 MB in, 0.02 MB out, 0.12 s → /out</c>.</summary>
    public string Summary =>
        $"{ConverterName}: {Converted.Count} converted, " +
        $"{Skipped.Count(r => r.Status == BatchFileStatus.SkippedExisting)} already there, " +
        $"{Skipped.Count(r => r.Status == BatchFileStatus.SkippedCollision)} name collisions, " +
        $"{Failed.Count} rejected, of {FilesFound} {string.Join("/", InputExtensions)} files; " +
        $"{InputBytes / 1e6:F2} MB in, {OutputBytes / 1e6:F2} MB out, {Elapsed.TotalSeconds:F2} s → {OutputDirectory}";

    /// <summary>Appends <c>&lt;input path&gt; &lt;reason&gt;</c> per failed file to <paramref name="path"/> (creating its
    /// folder), like the official <c>logs/*_error_log.txt</c>; without failures nothing is touched.</summary>
    public void AppendErrorLog(string path)
    {
        if (Failed.Count == 0) return;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        File.AppendAllLines(path, Failed.Select(r => $"{r.InputPath} {r.Reason}"));
    }
}

/// <summary>Runs one <see cref="IFileConverter"/> over a file or a folder tree, the way the official <c>batch_*.py</c>
/// scripts do, but resumable and safe: inputs are found recursively (extensions matched case-insensitively), outputs
/// mirror the relative folders under the output folder with the converter's extension on the input's stem
/// (Python's <c>os.path.splitext</c>), each output is written to a temporary file and renamed into place, outputs that
/// already exist are skipped, and a file that fails is reported with its path and reason while the run goes on.</summary>
public sealed class BatchConverter
{
    private readonly IFileConverter _converter;

    public BatchConverter(IFileConverter converter, ConverterOptions? options = null)
    {
        _converter = converter ?? throw new ArgumentNullException(nameof(converter));
        Options = options ?? new ConverterOptions();
    }

    public ConverterOptions Options { get; }
    /// <summary>Replace outputs that already exist instead of skipping them.</summary>
    public bool Overwrite { get; init; }
    /// <summary>Files converted at once (the converters are thread-safe). Default: the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Raised after each file, as <see cref="IProgress{T}"/> reports are: from worker threads, but one at a time,
    /// so that a handler writing lines needs no lock of its own.</summary>
    public event EventHandler<BatchFileResult>? FileCompleted;

    private readonly object _reportGate = new();

    /// <summary>The input files a run over <paramref name="input"/> would take, in path order (ordinal).
    /// Files under <paramref name="outputDir"/> are left out when it lies inside the input folder.</summary>
    public IReadOnlyList<string> FindInputs(string input, string? outputDir = null)
    {
        var all = FileBatch.FindInputs(input, MatchesExtension, outputDir);
        return Select is null ? all : Select(all);
    }

    /// <summary>Keeps a part of the sorted input list (e.g. one shard of N). Null: every input.</summary>
    public Func<IReadOnlyList<string>, IReadOnlyList<string>>? Select { get; init; }

    private bool MatchesExtension(string name)
    {
        foreach (var ext in _converter.InputExtensions)
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Converts every input under <paramref name="input"/> (a file or a folder) into <paramref name="outputDir"/>.</summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    public BatchReport Run(string input, string outputDir, IProgress<BatchFileResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputDir);
        var stopwatch = Stopwatch.StartNew();
        string inputFull = Path.GetFullPath(input);
        string outputFull = Path.GetFullPath(outputDir);
        var inputs = FindInputs(inputFull, outputFull);
        string baseDir = File.Exists(inputFull) ? Path.GetDirectoryName(inputFull)! : inputFull;
        var stems = inputs.Select(p => OutputStemPath(baseDir, outputFull, p)).ToHashSet(StringComparer.Ordinal);
        FileBatch.RemoveStaleTemporaries(outputFull, target => stems.Contains(Path.Combine(Path.GetDirectoryName(target)!, FileBatchOptions.PythonStem(Path.GetFileName(target)))));

        var results = new BatchFileResult?[inputs.Count];
        // Two inputs with the same output (x.xml and x.mxl → x.abc) are found before anything is written; without
        // IKnowsOutputName the extension is known only after converting, so names are claimed by their stem.
        var nameOwner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in inputs)
            nameOwner.TryAdd(OutputClaim(baseDir, outputFull, path), path);

        void Process(int index)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = ConvertOne(baseDir, outputFull, inputs[index], nameOwner);
            results[index] = result;
            lock (_reportGate)
            {
                progress?.Report(result);
                FileCompleted?.Invoke(this, result);
            }
        }

        if (MaxDegreeOfParallelism <= 1)
            for (int i = 0; i < inputs.Count; i++) Process(i);
        else
            Parallel.For(0, inputs.Count, new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism, CancellationToken = cancellationToken }, Process);

        var all = results.Select(r => r!).ToList();
        return new BatchReport(_converter.Name,
            all.Where(r => r.Status == BatchFileStatus.Converted).ToList(),
            all.Where(r => r.Status is BatchFileStatus.SkippedExisting or BatchFileStatus.SkippedCollision).ToList(),
            all.Where(r => r.Status == BatchFileStatus.Failed).ToList(),
            stopwatch.Elapsed)
        {
            InputExtensions = _converter.InputExtensions,
            OutputDirectory = outputFull,
        };
    }

    private BatchFileResult ConvertOne(string baseDir, string outputDir, string inputPath, Dictionary<string, string> nameOwner)
    {
        string relative = Path.GetRelativePath(baseDir, inputPath);
        string stemPath = OutputStemPath(baseDir, outputDir, inputPath);
        string claim = OutputClaim(baseDir, outputDir, inputPath);
        long inputBytes = 0;
        BatchFileResult Result(string outputPath, BatchFileStatus status, string? reason, IReadOnlyList<string>? warnings = null, long outputBytes = 0) =>
            new(inputPath, relative, outputPath, status, reason, warnings ?? [], inputBytes, outputBytes);

        if (nameOwner[claim] != inputPath)
            return Result(claim, BatchFileStatus.SkippedCollision,
                $"its output name collides with that of {Path.GetRelativePath(baseDir, nameOwner[claim])}");

        if (!Overwrite && FindExistingOutput(claim, stemPath) is { } existing)
            return Result(existing, BatchFileStatus.SkippedExisting, "output already exists");

        ConvertedFile converted;
        try
        {
            inputBytes = new FileInfo(inputPath).Length;
            converted = _converter.Convert(inputPath, Options);
        }
        catch (ConversionRejectedException e)
        {
            return Result(claim, BatchFileStatus.Failed, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Result(claim, BatchFileStatus.Failed, $"{e.GetType().Name}: {e.Message}");
        }

        string outputPath = stemPath + converted.Extension;
        try
        {
            WriteAtomically(outputPath, converted.Content);
            _extensionsSeen.TryAdd(converted.Extension, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Result(outputPath, BatchFileStatus.Failed, $"cannot write the output: {e.Message}", converted.Warnings);
        }
        return Result(outputPath, BatchFileStatus.Converted, null, converted.Warnings, converted.Content.LongLength);
    }

    private readonly ConcurrentDictionary<string, byte> _extensionsSeen = new(StringComparer.Ordinal);

    /// <summary>The output this input will get: exact when the converter says (<see cref="IKnowsOutputName"/>),
    /// otherwise the stem path (the extension comes with the converted file).</summary>
    private string OutputClaim(string baseDir, string outputDir, string inputPath) =>
        _converter is IKnowsOutputName named
            ? Path.Combine(Path.GetDirectoryName(OutputStemPath(baseDir, outputDir, inputPath))!, named.OutputFileName(Path.GetFileName(inputPath)))
            : OutputStemPath(baseDir, outputDir, inputPath);

    /// <summary>Resume: the exact output name when known, else the stem with an extension this run has produced.</summary>
    private string? FindExistingOutput(string claim, string stemPath)
    {
        if (_converter is IKnowsOutputName) return File.Exists(claim) ? claim : null;
        foreach (var ext in _extensionsSeen.Keys)
            if (File.Exists(stemPath + ext)) return stemPath + ext;
        return null;
    }

    /// <summary>OUTPUT_DIR / relative folder / Python <c>os.path.splitext(name)[0]</c>.</summary>
    private static string OutputStemPath(string baseDir, string outputDir, string inputPath)
    {
        string relativeDir = Path.GetRelativePath(baseDir, Path.GetDirectoryName(inputPath)!);
        string stem = PythonStem(Path.GetFileName(inputPath));
        return Path.GetFullPath(Path.Combine(outputDir, relativeDir, stem));
    }

    /// <summary><c>os.path.splitext(name)[0]</c>: leading dots do not start an extension (<c>.mid</c> stays <c>.mid</c>).</summary>
    public static string PythonStem(string fileName) => FileBatchOptions.PythonStem(fileName);

    /// <summary>Writes <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public static void WriteAtomically(string path, byte[] content) => AtomicFile.WriteAllBytes(path, content);
}

/// <summary>Optional for an <see cref="IFileConverter"/>: the output file name for an input name, known before
/// converting. With it, <see cref="BatchConverter"/> resumes without converting finished files again (also in a new
/// process) and detects colliding outputs exactly. Without it, it uses the input's stem and the extensions it has
/// produced in the current run.</summary>
public interface IKnowsOutputName
{
    /// <summary>E.g. <c>song.mid</c> → <c>song.mtf</c>.</summary>
    string OutputFileName(string inputFileName);
}
