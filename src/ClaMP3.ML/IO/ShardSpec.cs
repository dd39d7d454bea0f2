using System.Globalization;

namespace ClaMP3.ML.IO;

/// <summary>
/// <c>I/N</c>: this process takes shard I (0-based) of N of a batch job. The slice is stable and machine-independent:
/// the inputs are sorted by ordinal relative path and item k (0-based) belongs to shard k mod N, so N array tasks
/// (Slurm <c>$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT</c>, Kubernetes <c>$JOB_COMPLETION_INDEX/N</c>) cover every
/// file exactly once whatever node runs them, and round-robin spreads a folder of big files evenly.
/// </summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses <c>I/N</c> with 0 ≤ I &lt; N; on failure <paramref name="error"/> says why in one line.</summary>
    public static bool TryParse(string? text, out ShardSpec spec, out string error)
    {
        spec = default;
        error = "";
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int count))
        {
            error = $"--shard '{text}': expected I/N, e.g. 0/4 (shard I of N, 0-based).";
            return false;
        }
        if (count < 1) { error = $"--shard {text}: N must be at least 1."; return false; }
        if (index < 0 || index >= count) { error = $"--shard {text}: I must be in 0..{count - 1} (shards are 0-based)."; return false; }
        spec = new ShardSpec(index, count);
        return true;
    }

    /// <summary>Items k of <paramref name="sorted"/> with k mod N = I, in order. The caller sorts (ordinal path order).</summary>
    public List<T> Select<T>(IReadOnlyList<T> sorted)
    {
        var result = new List<T>(sorted.Count / Count + 1);
        for (int k = Index; k < sorted.Count; k += Count) result.Add(sorted[k]);
        return result;
    }

    public bool Contains(int position) => position % Count == Index;

    /// <summary>The <see cref="FileBatchOptions.Select"/> hook for an optional shard: <see cref="Select{T}"/>, or null
    /// (every item) when <paramref name="spec"/> is null.</summary>
    public static Func<IReadOnlyList<T>, IReadOnlyList<T>>? Selector<T>(ShardSpec? spec) =>
        spec is { } s ? items => s.Select(items) : null;
}
