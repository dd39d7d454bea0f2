using System.Diagnostics;

namespace ClaMP3.ML.IO;

/// <summary>One input file of a batch and where its output goes.</summary>
/// <param name="InputPath">Full path of the input.</param>
/// <param name="RelativePath">The input's path relative to the batch's input folder (its file name for a single-file input).</param>
/// <param name="OutputPath">Full path of the output: the output folder, the input's relative folder, the mapped name.</param>
public sealed record FileBatchItem(string InputPath, string RelativePath, string OutputPath);

public enum FileBatchStatus
{
    Done,
    /// <summary>The output already existed (a resumed run); nothing was read or written.</summary>
    SkippedExisting,
    /// <summary>An earlier input (in path order) of the same run maps to the same output; this one is left out.</summary>
    SkippedCollision,
    /// <summary>The input could not be processed; <see cref="FileBatchResult.Reason"/> says why. No output was written.</summary>
    Failed,
}

/// <summary>What happened to one input.</summary>
public sealed record FileBatchResult(FileBatchItem Item, FileBatchStatus Status, string? Reason)
{
    /// <summary>The one line a user sees: <c>path: reason</c> (the path once, also when the reason already names it).</summary>
    public string Line => FileBatch.FailureLine(Item.InputPath, Reason ?? Status.ToString());
}

/// <summary>The outcome of a run, results in input path order.</summary>
public sealed record FileBatchReport(IReadOnlyList<FileBatchResult> Results, TimeSpan Elapsed)
{
    public int Done => Results.Count(r => r.Status == FileBatchStatus.Done);
    public int SkippedExisting => Results.Count(r => r.Status == FileBatchStatus.SkippedExisting);
    public int SkippedCollision => Results.Count(r => r.Status == FileBatchStatus.SkippedCollision);
    public int Failed => Results.Count(r => r.Status == FileBatchStatus.Failed);

    /// <summary>0 when every input has its output (written now or before), 1 when anything failed or there was no input.</summary>
    public int ExitCode => Results.Count == 0 || Failed > 0 ? 1 : 0;
}

/// <summary>How a <see cref="FileBatch"/> finds its inputs and names its outputs.</summary>
public sealed class FileBatchOptions
{
    /// <summary>Whether a file found in the input folder is an input (gets the file name). A single-file input is
    /// taken as given: the caller decides whether its type is acceptable.</summary>
    public required Func<string, bool> Accepts { get; init; }

    /// <summary>The output's path relative to the output folder for an input's relative path.</summary>
    public required Func<string, string> MapOutput { get; init; }

    /// <summary>Process inputs whose output exists again instead of skipping them.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Keeps a part of the sorted item list (e.g. one shard of N); applied after collisions are resolved over
    /// the whole list, so that every part agrees on who owns an output. Null: every item.</summary>
    public Func<IReadOnlyList<FileBatchItem>, IReadOnlyList<FileBatchItem>>? Select { get; init; }

    /// <summary>An output path: the input's relative folder, then its name with <paramref name="extension"/> in place of
    /// its own (Python's <c>os.path.splitext</c>: leading dots do not start an extension).</summary>
    public static Func<string, string> ReplaceExtension(string extension) =>
        relative => Path.Combine(Path.GetDirectoryName(relative) ?? "", PythonStem(Path.GetFileName(relative)) + extension);

    /// <summary><c>os.path.splitext(name)[0]</c>: <c>a.b.mid</c> → <c>a.b</c>, <c>.mid</c> stays <c>.mid</c>.</summary>
    public static string PythonStem(string fileName)
    {
        int dot = fileName.LastIndexOf('.');
        if (dot <= 0) return fileName;
        int firstNonDot = 0;
        while (firstNonDot < fileName.Length && fileName[firstNonDot] == '.') firstNonDot++;
        return dot < firstNonDot ? fileName : fileName[..dot];
    }
}

/// <summary>A file-to-file batch job, as every <c>clamp3</c> extraction and conversion runs: inputs found under a file
/// or folder in a stable order (ordinal by relative path, the same on every machine), outputs mirroring the relative
/// folders, existing outputs skipped (so a rerun resumes), outputs written atomically (<see cref="AtomicFile"/>),
/// temporaries left by a killed run removed, and each failure recorded as one line while the run goes on.</summary>
public sealed class FileBatch
{
    private readonly FileBatchOptions _options;
    private readonly Dictionary<string, string> _collisions; // output → the input that owns it, for the losers only

    private FileBatch(string outputDir, IReadOnlyList<FileBatchItem> items, Dictionary<string, string> collisions, FileBatchOptions options)
    {
        OutputDirectory = outputDir;
        Items = items;
        _collisions = collisions;
        _options = options;
    }

    /// <summary>Full path of the output folder.</summary>
    public string OutputDirectory { get; }

    /// <summary>The items this batch runs (after <see cref="FileBatchOptions.Select"/>), in path order.</summary>
    public IReadOnlyList<FileBatchItem> Items { get; }

    /// <summary>Finds the inputs under <paramref name="input"/> and maps their outputs into <paramref name="outputDir"/>.
    /// Files under the output folder are left out when it lies inside the input folder.</summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="IOException">The output folder is a file.</exception>
    public static FileBatch Plan(string input, string outputDir, FileBatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string outputFull = Path.GetFullPath(outputDir);
        if (File.Exists(outputFull)) throw new IOException($"the output folder is a file: {outputDir}");
        string inputFull = Path.GetFullPath(input);
        string baseDir = File.Exists(inputFull) ? Path.GetDirectoryName(inputFull)! : inputFull;
        var all = FindInputs(input, options.Accepts, outputFull)
            .Select(path =>
            {
                string relative = Path.GetRelativePath(baseDir, path);
                return new FileBatchItem(path, relative, Path.GetFullPath(Path.Combine(outputFull, options.MapOutput(relative))));
            })
            .ToList();
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        var collisions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in all)
            if (!owner.TryAdd(item.OutputPath, item.InputPath)) collisions[item.InputPath] = owner[item.OutputPath];
        var selected = options.Select is null ? all : options.Select(all);
        return new FileBatch(outputFull, selected, collisions, options);
    }

    /// <summary>The inputs under <paramref name="input"/>: the file itself, or the accepted files of the folder tree in
    /// ordinal order of their relative paths, leaving out what lies under <paramref name="excludeDir"/>.</summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    public static IReadOnlyList<string> FindInputs(string input, Func<string, bool> accepts, string? excludeDir = null)
    {
        string full = Path.GetFullPath(input);
        if (File.Exists(full)) return [full];
        if (!Directory.Exists(full)) throw new FileNotFoundException($"input not found: {input}", input);
        string root = Path.TrimEndingDirectorySeparator(full) + Path.DirectorySeparatorChar;
        string? exclude = excludeDir is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(excludeDir)) + Path.DirectorySeparatorChar;
        if (exclude == root) exclude = null;
        return Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Where(p => accepts(Path.GetFileName(p)))
            .Where(p => exclude is null || !p.StartsWith(exclude, StringComparison.Ordinal))
            .OrderBy(p => p[root.Length..], StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Runs <paramref name="process"/> on every item to do; it writes the item's output (through
    /// <see cref="AtomicFile"/>). An exception fails that item only.</summary>
    public FileBatchReport Run(Action<FileBatchItem> process, Action<FileBatchResult>? onResult = null, CancellationToken cancellationToken = default) =>
        RunGrouped<FileBatchItem, bool>(1, item => item, group => { process(group[0]); return [true]; }, (_, _) => { }, onResult, cancellationToken);

    /// <summary>Runs a job that computes several items at once (e.g. one forward pass per group): each item to do is
    /// prepared alone, prepared items are computed in groups of <paramref name="groupSize"/>, and each result is
    /// written alone. When a group fails, its items are computed again one at a time, so a bad item fails only itself.</summary>
    public FileBatchReport RunGrouped<TPrepared, TResult>(int groupSize, Func<FileBatchItem, TPrepared> prepare,
        Func<IReadOnlyList<TPrepared>, IReadOnlyList<TResult>> compute, Action<FileBatchItem, TResult> write,
        Action<FileBatchResult>? onResult = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        var clock = Stopwatch.StartNew();
        RemoveStaleTemporaries(OutputDirectory, Items.Select(i => i.OutputPath));
        var results = new List<FileBatchResult>(Items.Count);
        var pending = new List<(FileBatchItem Item, TPrepared Prepared)>(groupSize);

        void Record(FileBatchItem item, FileBatchStatus status, string? reason)
        {
            var result = new FileBatchResult(item, status, reason);
            results.Add(result);
            onResult?.Invoke(result);
        }

        void Flush()
        {
            if (pending.Count == 0) return;
            IReadOnlyList<TResult>? computed = null;
            if (pending.Count > 1)
            {
                try { computed = compute(pending.Select(p => p.Prepared).ToList()); }
                catch (Exception e) when (e is not OperationCanceledException) { computed = null; } // redone one by one below
            }
            for (int i = 0; i < pending.Count; i++)
            {
                var (item, prepared) = pending[i];
                try
                {
                    write(item, computed is not null ? computed[i] : compute([prepared])[0]);
                    Record(item, FileBatchStatus.Done, null);
                }
                catch (Exception e) when (e is not OperationCanceledException) { Record(item, FileBatchStatus.Failed, Reason(e)); }
            }
            pending.Clear();
        }

        foreach (var item in Items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_collisions.TryGetValue(item.InputPath, out var owner))
            {
                Record(item, FileBatchStatus.SkippedCollision, $"skipped, its output {item.OutputPath} is also the output of {owner}");
                continue;
            }
            if (!_options.Overwrite && File.Exists(item.OutputPath))
            {
                Record(item, FileBatchStatus.SkippedExisting, "output already exists");
                continue;
            }
            try { pending.Add((item, prepare(item))); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Record(item, FileBatchStatus.Failed, Reason(e));
                continue;
            }
            if (pending.Count >= groupSize) Flush();
        }
        Flush();
        // Groups finish after the items skipped meanwhile: the report lists everything in path order.
        var order = new Dictionary<FileBatchItem, int>();
        for (int i = 0; i < Items.Count; i++) order.TryAdd(Items[i], i);
        return new FileBatchReport(results.OrderBy(r => order[r.Item]).ToList(), clock.Elapsed);
    }

    /// <summary>Deletes the temporary files an earlier, killed run left under <paramref name="outputDir"/> for any of
    /// <paramref name="outputs"/> (full paths). Temporaries of other outputs are left alone: another process (another
    /// shard) may be writing them right now.</summary>
    public static int RemoveStaleTemporaries(string outputDir, IEnumerable<string> outputs) =>
        RemoveStaleTemporaries(outputDir, outputs.ToHashSet(StringComparer.Ordinal).Contains);

    /// <summary>As above, for outputs recognised by <paramref name="isOwnOutput"/> (gets the full target path).</summary>
    public static int RemoveStaleTemporaries(string outputDir, Func<string, bool> isOwnOutput)
    {
        if (!Directory.Exists(outputDir)) return 0;
        int removed = 0;
        foreach (var tmp in Directory.EnumerateFiles(outputDir, ".*.tmp", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
        {
            if (AtomicFile.TargetOfTemporary(tmp) is not { } target || !isOwnOutput(target)) continue;
            try { File.Delete(tmp); removed++; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <summary>The reason a user reads for an exception, on one line: its message, with the type name for exceptions
    /// that mean a bug rather than bad data (so that it can be reported as one).</summary>
    public static string Reason(Exception e) => (e switch
    {
        NullReferenceException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException or ArgumentOutOfRangeException
            or NotImplementedException or DivideByZeroException or OverflowException => $"{e.GetType().Name}: {e.Message}",
        AggregateException { InnerExceptions.Count: 1 } a => Reason(a.InnerExceptions[0]),
        _ => e.Message,
    }).ReplaceLineEndings(" "); // one line per failure, whatever the message

    /// <summary><c>path: reason</c>, or the reason alone when it already names the file.</summary>
    public static string FailureLine(string path, string reason) =>
        reason.Contains(path, StringComparison.Ordinal) ? reason : $"{path}: {reason}";
}
