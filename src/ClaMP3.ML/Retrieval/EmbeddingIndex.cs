using System.Numerics.Tensors;

namespace ClaMP3.ML.Retrieval;

/// <summary>One search result.</summary>
public sealed record SearchHit(string Id, int Index, double Similarity);

/// <summary>
/// An in-memory index of embeddings searched by cosine similarity, as the official <c>clamp3_search.py</c>
/// (which prints the top k ids and similarities). Vectors are normalised once when added, so a search is one
/// pass of dot products. Equal similarities keep insertion order. Thread-safe for concurrent searches.
/// </summary>
public sealed class EmbeddingIndex
{
    private readonly List<string> _ids = new();
    private readonly List<float[]> _normalized = new();

    public EmbeddingIndex(int dimension) => Dimension = dimension;

    public int Dimension { get; }
    public int Count => _ids.Count;
    public IReadOnlyList<string> Ids => _ids;

    public static EmbeddingIndex Build(IEnumerable<(string Id, float[] Embedding)> items)
    {
        EmbeddingIndex? index = null;
        foreach (var (id, embedding) in items)
        {
            index ??= new EmbeddingIndex(embedding.Length);
            index.Add(id, embedding);
        }
        return index ?? throw new ArgumentException("Cannot build an index from no embeddings.");
    }

    public void Add(string id, ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dimension)
            throw new ArgumentException($"Embedding '{id}' has {embedding.Length} dimensions, the index {Dimension}.");
        _ids.Add(id);
        _normalized.Add(Similarity.Normalize(embedding));
    }

    /// <summary>All similarities to the query, in index order.</summary>
    public double[] Similarities(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"The query has {query.Length} dimensions, the index {Dimension}.");
        var q = Similarity.Normalize(query);
        var result = new double[_normalized.Count];
        for (int i = 0; i < result.Length; i++) result[i] = TensorPrimitives.Dot(q, _normalized[i]);
        return result;
    }

    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int topK = 10)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        var similarities = Similarities(query);
        return Enumerable.Range(0, similarities.Length)
            .OrderByDescending(i => similarities[i]) // stable: equal similarities keep insertion order
            .Take(Math.Min(topK, similarities.Length))
            .Select(i => new SearchHit(_ids[i], i, similarities[i]))
            .ToList();
    }
}
