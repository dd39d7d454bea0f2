using ClaMP3.ML.Checkpoints;
using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>One result: the row, its key (the feature file's key) and its cosine similarity.</summary>
public readonly record struct VectorHit(int Row, string Key, float Similarity);

/// <summary>How a search runs: exactly, or through the HNSW graph with exact re-scoring of its candidates.</summary>
public sealed record VectorSearchOptions
{
    /// <summary>Use the HNSW graph when the index has one (else exact).</summary>
    public bool Approximate { get; init; } = true;
    /// <summary>Candidates asked from the graph, re-scored exactly: max(this, k).</summary>
    public int Candidates { get; init; } = 64;
    /// <summary>HNSW search expansion (ef): max(this, candidates).</summary>
    public int Expansion { get; init; } = 128;
}

/// <summary>
/// A vector index file (<see cref="VectorIndexHeader"/>) opened memory-mapped: the matrix stays on disk and in the page
/// cache, not in the managed heap, so millions of rows open instantly. Exact search scans the matrix; with an
/// HNSW sidecar (<c>INDEX.hnsw</c>) searches ask the graph for candidates and re-score them exactly.
/// Thread-safe for concurrent searches.
/// </summary>
public sealed unsafe class VectorIndex : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly HnswGraph? _graph;

    private VectorIndex(string path, VectorIndexHeader header, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePtr,
        string[] keys, HnswGraph? graph)
    {
        Path = path; Header = header; _file = file; _view = view; _base = basePtr; Keys = keys; _graph = graph;
    }

    public string Path { get; }
    public VectorIndexHeader Header { get; }
    public int Dimension => Header.Dimension;
    public int Count => (int)Header.Count;
    public IReadOnlyList<string> Keys { get; }
    public bool HasGraph => _graph is not null;
    /// <summary>The SIMD level USearch picked for the graph ("serial" without one).</summary>
    public string GraphAcceleration => _graph?.Acceleration ?? "none";

    /// <summary>The sidecar holding the HNSW graph of an index file.</summary>
    public static string GraphPath(string indexPath) => indexPath + ".hnsw";

    /// <summary>Opens an index; <paramref name="expectedDimension"/> (when given) must match. Errors name the file.</summary>
    public static VectorIndex Open(string path, int? expectedDimension = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: index file not found.", path);
        long length = new FileInfo(path).Length;
        var head = new byte[VectorIndexHeader.Size];
        using (var stream = File.OpenRead(path)) stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var header = VectorIndexHeader.Parse(path, head, length);
        if (expectedDimension is int d && d != header.Dimension)
            throw new InvalidDataException($"{path}: index of dimension {header.Dimension}, expected {d}.");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        HnswGraph? graph = null;
        try
        {
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            basePtr += view.PointerOffset;
            var keys = VectorIndexHeader.ReadKeys(path, new ReadOnlySpan<byte>(basePtr + header.KeysOffset, checked((int)header.KeysLength)), header.Count);
            if (header.AnnLength > 0)
            {
                string graphPath = GraphPath(path);
                if (!File.Exists(graphPath)) throw new InvalidDataException($"{path}: its HNSW graph {graphPath} is missing (rebuild, or build without --ann).");
                long graphLength = new FileInfo(graphPath).Length;
                if (graphLength != header.AnnLength)
                    throw new InvalidDataException($"{graphPath}: {graphLength} bytes, its index {path} expects {header.AnnLength} (truncated or from another build).");
                graph = HnswGraph.View(graphPath, header.Dimension, header.Count);
            }
            return new VectorIndex(path, header, file, view, basePtr, keys, graph);
        }
        catch
        {
            graph?.Dispose();
            if (view is not null) { view.SafeMemoryMappedViewHandle.ReleasePointer(); view.Dispose(); }
            file.Dispose();
            throw;
        }
    }

    internal void* Matrix => _base + Header.MatrixOffset;

    /// <summary>Row <paramref name="row"/> as stored (unit length), widened to float32.</summary>
    public float[] GetVector(int row)
    {
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row));
        var result = new float[Dimension];
        CopyRow(row, result);
        return result;
    }

    private void CopyRow(int row, Span<float> destination)
    {
        long offset = (long)row * Dimension;
        if (Header.Element == VectorElement.Float32) new ReadOnlySpan<float>((float*)Matrix + offset, Dimension).CopyTo(destination);
        else TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)Matrix + offset, Dimension), destination);
    }

    /// <summary>The dot product of row <paramref name="row"/> with a unit query, read in place (no copy of a float32 row).</summary>
    internal float Score(int row, ReadOnlySpan<float> unitQuery)
    {
        if (Header.Element == VectorElement.Float32)
            return TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)Matrix + (long)row * Dimension, Dimension), unitQuery);
        Span<float> buffer = stackalloc float[Dimension];
        CopyRow(row, buffer);
        return TensorPrimitives.Dot(buffer, unitQuery);
    }

    /// <summary>The query as a unit vector, checked for size and finiteness.</summary>
    public float[] PrepareQuery(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"The query has {query.Length} dimensions, the index {Path} has {Dimension}.");
        if (FiniteValues.FirstNonFinite(query) >= 0) throw new ArgumentException("The query holds NaN or infinite values.");
        return Similarity.Normalize(query);
    }

    /// <summary>Exact top-k of one query by cosine similarity.</summary>
    public IReadOnlyList<VectorHit> SearchExact(ReadOnlySpan<float> query, int k) => SearchExactBatch(new[] { query.ToArray() }, k)[0];

    /// <summary>Exact top-k of many queries in one pass over the matrix (a batched matrix product).</summary>
    public IReadOnlyList<VectorHit>[] SearchExactBatch(IReadOnlyList<float[]> queries, int k, CancellationToken cancellationToken = default)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        var packed = new float[queries.Count * Dimension];
        for (int i = 0; i < queries.Count; i++) PrepareQuery(queries[i]).CopyTo(packed, i * Dimension);
        var heaps = ExactScan.Search(Matrix, Header.Element, Count, Dimension, packed, queries.Count, Math.Min(k, Math.Max(1, Count)), cancellationToken);
        return heaps.Select(h => (IReadOnlyList<VectorHit>)h.ToSorted().Select(p => new VectorHit(p.Row, Keys[p.Row], p.Score)).ToList()).ToArray();
    }

    /// <summary>Top-k of one query: through the HNSW graph when there is one and <paramref name="options"/> allow, else exact.</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, VectorSearchOptions? options = null)
    {
        options ??= new VectorSearchOptions();
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (_graph is null || !options.Approximate) return SearchExact(query, k);
        var unit = PrepareQuery(query);
        int candidates = Math.Min(Math.Max(options.Candidates, k), Count);
        var rows = new ulong[candidates];
        int found = _graph.Search(unit, candidates, Math.Max(options.Expansion, candidates), rows);
        var heap = new TopK(Math.Min(k, Math.Max(1, found)));
        for (int i = 0; i < found; i++)
        {
            if (rows[i] >= (ulong)Count) throw new InvalidDataException($"{GraphPath(Path)}: the graph returned row {rows[i]} of {Count}.");
            heap.Add(Score((int)rows[i], unit), (int)rows[i]);
        }
        return heap.ToSorted().Select(p => new VectorHit(p.Row, Keys[p.Row], p.Score)).ToList();
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
