using System.Text.Json;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Retrieval;

/// <summary>The JSON-lines files the official <c>clamp3_eval.py</c> and <c>clamp3_score.py</c> write into their output
/// folder, one object per line with their field names, written atomically. Each writer returns the file's path.</summary>
public static class RetrievalJsonl
{
    /// <summary><c>clamp3_eval.py</c>'s list of files without a partner.</summary>
    public const string UnmatchedFileName = "unmatched_files.jsonl";
    /// <summary><c>clamp3_eval.py</c>'s rank of each query.</summary>
    public const string RanksFileName = "retrieval_ranks.jsonl";
    /// <summary><c>clamp3_score.py</c>'s similarity of each query and its reference.</summary>
    public const string PairwiseFileName = "pairwise_similarities.jsonl";

    /// <summary><c>unmatched_files.jsonl</c>: <c>{"unmatched_query": path}</c> per query without a reference, then
    /// <c>{"unmatched_reference": path}</c> per reference without a query.</summary>
    public static string WriteUnmatched(KeyMatch match, string outputDir)
    {
        ArgumentNullException.ThrowIfNull(match);
        var lines = match.UnmatchedQueries.Select(f => Line("unmatched_query", f.Path))
            .Concat(match.UnmatchedReferences.Select(f => Line("unmatched_reference", f.Path)));
        return Write(outputDir, UnmatchedFileName, lines);
    }

    /// <summary><c>retrieval_ranks.jsonl</c>: <c>{"query", "reference", "rank"}</c> per query of <paramref name="match"/>
    /// (evaluated as <paramref name="metrics"/>), best rank first (a stable sort: ties keep query order).</summary>
    public static string WriteRanks(RetrievalMetrics metrics, KeyMatch match, string outputDir)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(match);
        var lines = metrics.Ranks.OrderBy(x => x.Rank).Select(x =>
            JsonSerializer.Serialize(new { query = match.Queries[x.QueryIndex].Path, reference = match.ReferenceOf(x.Key)!.Path, rank = x.Rank }));
        return Write(outputDir, RanksFileName, lines);
    }

    /// <summary><c>pairwise_similarities.jsonl</c>: <c>{"query", "reference", "similarity"}</c> per pair, in the given order.</summary>
    public static string WritePairwise(IReadOnlyList<FeaturePair> pairs, string outputDir)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var lines = pairs.Select(p => JsonSerializer.Serialize(new { query = p.Query.Path, reference = p.Reference.Path, similarity = p.Similarity }));
        return Write(outputDir, PairwiseFileName, lines);
    }

    private static string Line(string field, string path) => JsonSerializer.Serialize(new Dictionary<string, object> { [field] = path });

    private static string Write(string outputDir, string fileName, IEnumerable<string> lines)
    {
        string path = Path.Combine(outputDir, fileName);
        AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }
}
