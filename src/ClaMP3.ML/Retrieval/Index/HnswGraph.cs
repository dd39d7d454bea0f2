namespace ClaMP3.ML.Retrieval.Index;

/// <summary>
/// An HNSW graph over the rows of a vector index (keys are row numbers), built with USearch in float16 with inner
/// product (rows are unit vectors, so it ranks like cosine), saved as the index's sidecar file and reopened as a
/// memory-mapped view. It only proposes candidates: <see cref="VectorIndex"/> re-scores them exactly in float32.
/// </summary>
internal sealed unsafe class HnswGraph : IDisposable
{
    public const int DefaultConnectivity = 16;
    public const int DefaultExpansionAdd = 128;
    private nint _handle;
    private readonly string _path;
    private readonly object _expansionGate = new();
    private int _expansion;

    private HnswGraph(nint handle, string path) { _handle = handle; _path = path; }

    public static HnswGraph Create(int dimension, int capacity, int connectivity, int expansionAdd, int threads, string pathForErrors)
    {
        var options = new UsearchNative.InitOptions
        {
            MetricKind = UsearchNative.MetricCos,
            Quantization = UsearchNative.ScalarI8,
            Dimensions = (nuint)dimension,
            Connectivity = (nuint)connectivity,
            ExpansionAdd = (nuint)expansionAdd,
            ExpansionSearch = 64,
        };
        nint handle = UsearchNative.usearch_init(&options, out var error);
        UsearchNative.Check(error, pathForErrors);
        var graph = new HnswGraph(handle, pathForErrors);
        // Reserving everything up front lets several threads add at once (each takes its own USearch thread slot).
        UsearchNative.usearch_change_threads_add(handle, (nuint)threads, out error);
        UsearchNative.Check(error, pathForErrors);
        UsearchNative.usearch_reserve(handle, (nuint)capacity, out error);
        UsearchNative.Check(error, pathForErrors);
        return graph;
    }

    /// <summary>Opens a saved graph as a memory-mapped view and checks it against the index it belongs to.</summary>
    public static HnswGraph View(string path, int dimension, long count)
    {
        var options = new UsearchNative.InitOptions { MetricKind = UsearchNative.MetricCos, Quantization = UsearchNative.ScalarI8, Dimensions = (nuint)dimension };
        nint handle = UsearchNative.usearch_init(&options, out var error);
        UsearchNative.Check(error, path);
        var graph = new HnswGraph(handle, path);
        try
        {
            UsearchNative.usearch_view(handle, path, out error);
            UsearchNative.Check(error, path);
            long size = (long)UsearchNative.usearch_size(handle, out _);
            long dims = (long)UsearchNative.usearch_dimensions(handle, out _);
            if (size != count || dims != dimension)
                throw new InvalidDataException($"{path}: HNSW graph holds {size} vectors of {dims}, its index {count} of {dimension}.");
            UsearchNative.usearch_change_threads_search(handle, (nuint)Math.Max(1, Environment.ProcessorCount), out error);
            UsearchNative.Check(error, path);
            return graph;
        }
        catch { graph.Dispose(); throw; }
    }

    public void Add(int row, float* vector)
    {
        UsearchNative.usearch_add(_handle, (ulong)row, vector, UsearchNative.ScalarF32, out var error);
        UsearchNative.Check(error, _path);
    }

    public void Save(string path)
    {
        UsearchNative.usearch_save(_handle, path, out var error);
        UsearchNative.Check(error, path);
    }

    public string Acceleration => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(UsearchNative.usearch_hardware_acceleration(_handle, out _)) ?? "serial";

    /// <summary>Up to <paramref name="count"/> candidate rows for a unit query, exploring <paramref name="expansion"/> nodes per layer.</summary>
    public int Search(ReadOnlySpan<float> query, int count, int expansion, Span<ulong> rows)
    {
        Span<float> distances = count <= 1024 ? stackalloc float[count] : new float[count];
        lock (_expansionGate)
        {
            // The expansion is index-wide state in USearch; concurrent searches with different expansions take turns.
            if (_expansion != expansion)
            {
                UsearchNative.usearch_change_expansion_search(_handle, (nuint)expansion, out var e);
                UsearchNative.Check(e, _path);
                _expansion = expansion;
            }
            fixed (float* q = query)
            fixed (ulong* k = rows)
            fixed (float* d = distances)
            {
                nuint found = UsearchNative.usearch_search(_handle, q, UsearchNative.ScalarF32, (nuint)count, k, d, out var error);
                UsearchNative.Check(error, _path);
                return (int)found;
            }
        }
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        UsearchNative.usearch_free(_handle, out _);
        _handle = 0;
    }
}
