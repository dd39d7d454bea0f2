using System.Numerics.Tensors;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Retrieval;

/// <summary>One search result.</summary>
public sealed record SearchHit(string Id, int Index, double Similarity);

/// <summary>
/// Embeddings searched by cosine similarity, as the official <c>clamp3_search.py</c> (which prints the top k ids and
/// similarities). Either in memory (<see cref="Add"/>, <see cref="Build"/>; vectors normalised once when added) or
/// over a vector index file opened memory-mapped (<see cref="Open"/>; read-only, millions of rows, HNSW when the file
/// has a graph). Top-k uses a heap, not a sort; equal similarities keep insertion order. Thread-safe for concurrent searches.
/// </summary>
public sealed class EmbeddingIndex : IDisposable
{
    private readonly List<string> _ids = new();
    private readonly List<float[]> _normalized = new();
    private readonly VectorIndex? _file;

    public EmbeddingIndex(int dimension) => Dimension = dimension;

    private EmbeddingIndex(VectorIndex file)
    {
        _file = file;
        Dimension = file.Dimension;
    }

    public int Dimension { get; }
    public int Count => _file?.Count ?? _ids.Count;
    public IReadOnlyList<string> Ids => _file?.Keys ?? _ids;
    /// <summary>The index file behind this index, or null for an in-memory one.</summary>
    public VectorIndex? File => _file;
    /// <summary>How searches of a file-backed index with an HNSW graph run (exact re-scoring of graph candidates by default).</summary>
    public VectorSearchOptions SearchOptions { get; init; } = new();

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

    /// <summary>What <c>clamp3 search</c> ranks: an index file (recognised by its magic, <see cref="VectorIndexHeader.HasMagic"/>)
    /// opened memory-mapped with <paramref name="searchOptions"/>; otherwise, as <c>clamp3_search.py</c>, the global features
    /// (<c>.npy</c>) directly in the folder <paramref name="path"/> (not below it), each keyed by its file name up to the
    /// first dot (<see cref="FeatureMatching.ByFileNameKey"/>).</summary>
    /// <exception cref="InvalidDataException">A file that is not an index, or a folder without <c>.npy</c> files.</exception>
    public static EmbeddingIndex OpenFolderOrFile(string path, VectorSearchOptions? searchOptions = null)
    {
        if (VectorIndexHeader.HasMagic(path)) return Open(path, searchOptions: searchOptions);
        if (System.IO.File.Exists(path)) throw new InvalidDataException($"{path}: neither a features folder nor a clamp3 index file.");
        var items = FeatureFolder.Load(path, recursive: false);
        if (items.Count == 0) throw new InvalidDataException($"No .npy files in {path}.");
        return Build(FeatureMatching.ByFileNameKey(items));
    }

    /// <summary>Opens an index file written by <see cref="Save"/> or <c>clamp3 index build</c>, memory-mapped.</summary>
    public static EmbeddingIndex Open(string path, int? expectedDimension = null, VectorSearchOptions? searchOptions = null) =>
        new(VectorIndex.Open(path, expectedDimension)) { SearchOptions = searchOptions ?? new VectorSearchOptions() };

    /// <summary>Writes this in-memory index as an index file (with an HNSW graph when <paramref name="graph"/> is given).</summary>
    public void Save(string path, HnswBuildOptions? graph = null)
    {
        if (_file is not null) throw new InvalidOperationException($"This index is already the file {_file.Path}.");
        using var writer = new VectorIndexWriter(path, Dimension);
        for (int i = 0; i < _ids.Count; i++) writer.Add(_ids[i], _normalized[i]);
        writer.Complete(graph);
    }

    public void Add(string id, ReadOnlySpan<float> embedding)
    {
        if (_file is not null) throw new InvalidOperationException($"{_file.Path}: an index opened from a file is read-only; rebuild it with clamp3 index build.");
        if (embedding.Length != Dimension)
            throw new ArgumentException($"Embedding '{id}' has {embedding.Length} dimensions, the index {Dimension}.");
        _ids.Add(id);
        _normalized.Add(Similarity.Normalize(embedding));
    }

    /// <summary>All similarities to the query, in index order.</summary>
    public double[] Similarities(ReadOnlySpan<float> query)
    {
        var q = NormalizedQuery(query);
        var result = new double[Count];
        // A file-backed row is scored where it lies in the mapped file, not copied into a new array per row.
        for (int i = 0; i < result.Length; i++) result[i] = _file is not null ? _file.Score(i, q) : TensorPrimitives.Dot(q, _normalized[i]);
        return result;
    }

    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int topK = 10)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        if (_file is not null)
            return _file.Search(query, topK, SearchOptions).Select(h => new SearchHit(h.Key, h.Row, h.Similarity)).ToList();
        var q = NormalizedQuery(query);
        var heap = new TopK(Math.Min(topK, Math.Max(1, _ids.Count)));
        for (int i = 0; i < _normalized.Count; i++) heap.Add(TensorPrimitives.Dot(q, _normalized[i]), i);
        return heap.ToSorted().Select(p => new SearchHit(_ids[p.Row], p.Row, p.Score)).ToList();
    }

    private float[] NormalizedQuery(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"The query has {query.Length} dimensions, the index {Dimension}.");
        return Similarity.Normalize(query);
    }

    public void Dispose() => _file?.Dispose();
}
