namespace ClaMP3.ML.Retrieval;

/// <summary>How a query's correct reference is ranked among references with exactly the same similarity.</summary>
public enum TieBreaking
{
    /// <summary>As the official <c>clamp3_eval.py</c>: ties are broken in favour of the correct reference
    /// (rank = 1 + number of references strictly more similar).</summary>
    Official,
    /// <summary>The honest worst case: every other reference with the same similarity ranks first.</summary>
    Pessimistic,
}

/// <summary>One query's outcome.</summary>
/// <param name="QueryIndex">The query's position in the input (row number).</param>
/// <param name="Rank">1-based rank of the correct reference under the chosen tie rule.</param>
/// <param name="OfficialRank">Rank with ties broken in favour of the correct reference.</param>
/// <param name="PessimisticRank">Rank with ties broken against it.</param>
public sealed record QueryRank(string Key, int QueryIndex, int Rank, int OfficialRank, int PessimisticRank, double Similarity);

/// <summary>Retrieval metrics as <c>inference/clamp3_eval.py</c> defines them.</summary>
public sealed class RetrievalMetrics
{
    internal RetrievalMetrics(IReadOnlyList<QueryRank> ranks, int referenceCount, TieBreaking ties)
    {
        Ranks = ranks;
        ReferenceCount = referenceCount;
        TieBreaking = ties;
        MeanReciprocalRank = ranks.Count == 0 ? 0 : ranks.Average(r => 1.0 / r.Rank);
        HitAt1 = HitAt(1);
        HitAt10 = HitAt(10);
        HitAt100 = HitAt(100);
    }

    public double MeanReciprocalRank { get; }
    public double HitAt1 { get; }
    public double HitAt10 { get; }
    public double HitAt100 { get; }
    public int QueryCount => Ranks.Count;
    public int ReferenceCount { get; }
    public TieBreaking TieBreaking { get; }
    /// <summary>Per-query ranks, in query order.</summary>
    public IReadOnlyList<QueryRank> Ranks { get; }

    /// <summary>Fraction of queries whose correct reference is among the first <paramref name="k"/>.</summary>
    public double HitAt(int k) => Ranks.Count == 0 ? 0 : Ranks.Count(r => r.Rank <= k) / (double)Ranks.Count;

    public override string ToString() =>
        $"MRR: {MeanReciprocalRank:F4}  Hit@1: {HitAt1:F4}  Hit@10: {HitAt10:F4}  Hit@100: {HitAt100:F4}  " +
        $"({QueryCount} queries, {ReferenceCount} references, ties: {TieBreaking})";
}

/// <summary>
/// Query → reference retrieval evaluation by cosine similarity, as the official <c>clamp3_eval.py</c>: every query
/// has a key, every key has exactly one reference (several queries may share a key), and every query is ranked
/// against the references of all keys. Keys without a partner on the other side are an error, as there.
/// </summary>
public static class RetrievalEvaluator
{
    public static RetrievalMetrics Evaluate(
        IReadOnlyList<(string Key, float[] Embedding)> queries,
        IReadOnlyList<(string Key, float[] Embedding)> references,
        TieBreaking ties = TieBreaking.Official)
    {
        var referenceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < references.Count; i++)
        {
            if (!referenceIndex.TryAdd(references[i].Key, i))
                throw new ArgumentException($"Reference key '{references[i].Key}' occurs more than once (rows {referenceIndex[references[i].Key]} and {i}); each key needs exactly one reference.");
        }
        var queryKeys = queries.Select(q => q.Key).ToHashSet(StringComparer.Ordinal);
        var unmatchedQueries = queryKeys.Where(k => !referenceIndex.ContainsKey(k)).ToList();
        var unmatchedReferences = referenceIndex.Keys.Where(k => !queryKeys.Contains(k)).ToList();
        if (unmatchedQueries.Count > 0 || unmatchedReferences.Count > 0)
            throw new ArgumentException(
                $"{unmatchedQueries.Count + unmatchedReferences.Count} unmatched keys (as clamp3_eval.py, every query key needs a reference and vice versa). " +
                $"Queries without reference: {Preview(unmatchedQueries)}; references without query: {Preview(unmatchedReferences)}.");

        int dim = references.Count > 0 ? references[0].Embedding.Length : 0;
        for (int r = 0; r < references.Count; r++)
            if (references[r].Embedding.Length != dim)
                throw new ArgumentException($"Reference row {r} (key '{references[r].Key}') has {references[r].Embedding.Length} dimensions, row 0 has {dim}.");
        var ranks = new QueryRank[queries.Count];
        Parallel.For(0, queries.Count, q =>
        {
            var (key, embedding) = queries[q];
            if (embedding.Length != dim)
                throw new ArgumentException($"Query row {q} (key '{key}') has {embedding.Length} dimensions, the references {dim}.");
            int correct = referenceIndex[key];
            var similarities = new double[references.Count];
            for (int r = 0; r < similarities.Length; r++) similarities[r] = Similarity.Cosine(embedding, references[r].Embedding);
            double target = similarities[correct];
            int greater = 0, equal = 0;
            for (int r = 0; r < similarities.Length; r++)
            {
                if (r == correct) continue;
                if (similarities[r] > target) greater++;
                else if (similarities[r] == target) equal++;
            }
            int official = greater + 1, pessimistic = greater + equal + 1;
            ranks[q] = new QueryRank(key, q, ties == TieBreaking.Official ? official : pessimistic, official, pessimistic, target);
        });
        return new RetrievalMetrics(ranks, references.Count, ties);
    }

    private static string Preview(List<string> keys) =>
        keys.Count == 0 ? "none" : string.Join(", ", keys.Take(5).Select(k => $"'{k}'")) + (keys.Count > 5 ? $" and {keys.Count - 5} more" : "");
}
