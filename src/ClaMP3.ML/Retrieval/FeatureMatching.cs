namespace ClaMP3.ML.Retrieval;

/// <summary>Query and reference feature files paired by key, as the official <c>clamp3_score.py</c> and
/// <c>clamp3_eval.py</c> pair them: the first reference file of each key (path order) is the reference.</summary>
/// <param name="queries">Every query file, in path order.</param>
/// <param name="references">The reference of each key, in order of first appearance.</param>
/// <param name="unmatchedQueries">Queries whose key has no reference.</param>
/// <param name="unmatchedReferences">References whose key no query has.</param>
public sealed class KeyMatch(
    IReadOnlyList<FeatureFile> queries, IReadOnlyList<FeatureFile> references,
    IReadOnlyList<FeatureFile> unmatchedQueries, IReadOnlyList<FeatureFile> unmatchedReferences)
{
    private readonly Dictionary<string, FeatureFile> _byKey = references.ToDictionary(f => f.Key, StringComparer.Ordinal);

    public IReadOnlyList<FeatureFile> Queries { get; } = queries;
    public IReadOnlyList<FeatureFile> References { get; } = references;
    public IReadOnlyList<FeatureFile> UnmatchedQueries { get; } = unmatchedQueries;
    public IReadOnlyList<FeatureFile> UnmatchedReferences { get; } = unmatchedReferences;

    /// <summary>How many files are left out on either side.</summary>
    public int UnmatchedCount => UnmatchedQueries.Count + UnmatchedReferences.Count;

    /// <summary>The reference of <paramref name="key"/>, or null.</summary>
    public FeatureFile? ReferenceOf(string key) => _byKey.GetValueOrDefault(key);
}

/// <summary>One query paired with its reference.</summary>
public sealed record FeaturePair(FeatureFile Query, FeatureFile Reference, double Similarity);

/// <summary>The official scoring scripts' pairing and averaging, over <see cref="FeatureFolder"/> files.</summary>
public static class FeatureMatching
{
    public static KeyMatch Match(IReadOnlyList<FeatureFile> queries, IReadOnlyList<FeatureFile> references)
    {
        var refs = references.GroupBy(f => f.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
        var refKeys = refs.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var queryKeys = queries.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        return new KeyMatch(queries, refs,
            queries.Where(f => !refKeys.Contains(f.Key)).ToList(),
            refs.Where(f => !queryKeys.Contains(f.Key)).ToList());
    }

    /// <summary>Every query that has a reference, with their cosine similarity, most similar first (a stable sort:
    /// ties keep path order), as <c>clamp3_score.py</c> writes <c>pairwise_similarities.jsonl</c>.</summary>
    public static IReadOnlyList<FeaturePair> PairwiseSimilarities(KeyMatch match) =>
        match.Queries
            .Select(q => match.ReferenceOf(q.Key) is { } r ? new FeaturePair(q, r, Similarity.Cosine(q.Vector, r.Vector)) : null)
            .OfType<FeaturePair>()
            .OrderByDescending(p => p.Similarity)
            .ToList();

    /// <summary>MRR and Hit@k of every query against the references (<c>clamp3_eval.py</c>); every query needs a reference.</summary>
    /// <exception cref="InvalidDataException">Some query or reference has no partner.</exception>
    public static RetrievalMetrics Evaluate(KeyMatch match, TieBreaking ties = TieBreaking.Official)
    {
        if (match.UnmatchedCount > 0)
            throw new InvalidDataException($"there are {match.UnmatchedCount} unmatched query or reference files.");
        return RetrievalEvaluator.Evaluate(match.Queries.Select(f => (f.Key, f.Vector)).ToList(), match.References.Select(f => (f.Key, f.Vector)).ToList(), ties);
    }

    /// <summary><c>clamp3_score.py --group</c>: the cosine similarity of the two sets' mean features.</summary>
    public static double GroupSimilarity(IReadOnlyList<FeatureFile> queries, IReadOnlyList<FeatureFile> references) =>
        Similarity.Cosine(Mean(queries.Select(f => f.Vector).ToList()), Mean(references.Select(f => f.Vector).ToList()));

    /// <summary>The element-wise mean (accumulated in double).</summary>
    /// <exception cref="InvalidDataException">No vectors, or vectors of different lengths.</exception>
    public static float[] Mean(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) throw new InvalidDataException("No features to average.");
        var mean = new double[vectors[0].Length];
        foreach (var v in vectors)
        {
            if (v.Length != mean.Length) throw new InvalidDataException("Feature files have different sizes.");
            for (int i = 0; i < v.Length; i++) mean[i] += v[i];
        }
        return mean.Select(m => (float)(m / vectors.Count)).ToArray();
    }

    /// <summary><c>clamp3_search.py</c>'s key: the file name up to its first dot; a later file of the same key replaces
    /// an earlier one.</summary>
    public static IReadOnlyList<(string Key, float[] Vector)> ByFileNameKey(IReadOnlyList<FeatureFile> files)
    {
        var byKey = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var f in files) byKey[Path.GetFileName(f.Path).Split('.')[0]] = f.Vector;
        return byKey.Select(kv => (kv.Key, kv.Value)).ToList();
    }
}
