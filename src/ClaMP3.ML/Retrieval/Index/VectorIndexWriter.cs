using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>Whether and how to build the HNSW graph beside an index.</summary>
public sealed record HnswBuildOptions
{
    public int Connectivity { get; init; } = HnswGraph.DefaultConnectivity;
    public int ExpansionAdd { get; init; } = HnswGraph.DefaultExpansionAdd;
    /// <summary>Threads adding to the graph at once (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Writes a vector index file row by row (so a million rows never sit in managed memory), normalising each vector to
/// unit length, then the key table and the header, all into a temporary file renamed into place at the end
/// (<see cref="AtomicFile"/>): a reader (or a crashed build) never sees half an index, and the temporaries a crash
/// leaves are recognised by <see cref="AtomicFile.TargetOfTemporary"/>. Keys must be unique; rows keep the order they
/// are added in.
/// </summary>
public sealed class VectorIndexWriter : IDisposable
{
    private readonly string _path;
    private readonly AtomicFileWriter _file;
    private readonly Stream _stream;
    private readonly List<string> _keys = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly float[] _unit;
    private readonly byte[] _row;
    private bool _completed;

    public VectorIndexWriter(string path, int dimension, VectorElement element = VectorElement.Float32)
    {
        if (dimension < 1 || dimension > VectorIndexHeader.MaxDimension) throw new ArgumentOutOfRangeException(nameof(dimension));
        _path = System.IO.Path.GetFullPath(path);
        Dimension = dimension;
        Element = element;
        // Read-write: the header is rewritten at the end, and the graph is built from the temporary file, reopened.
        _file = AtomicFile.Create(_path, new AtomicFileOptions { ReadWrite = true, BufferSize = 1 << 20 });
        _stream = _file.Stream;
        try { _stream.Write(new byte[VectorIndexHeader.Size]); }
        catch
        {
            _file.Dispose();
            throw;
        }
        _unit = new float[dimension];
        _row = new byte[dimension * (element == VectorElement.Float16 ? 2 : 4)];
    }

    public int Dimension { get; }
    public VectorElement Element { get; }
    public int Count => _keys.Count;

    /// <summary>Test seam: runs when the index and its graph are finished in their temporary files, just before they
    /// are moved into place (what a build killed at that moment leaves behind).</summary>
    internal Action? BeforeCommit { get; set; }

    public void Add(string key, ReadOnlySpan<float> vector) => Add(key, vector, normalize: true);

    /// <summary>Adds a row that is already unit length (read from another index), unchanged, so merging shards
    /// reproduces their bytes exactly.</summary>
    internal void AddUnit(string key, ReadOnlySpan<float> vector) => Add(key, vector, normalize: false);

    private void Add(string key, ReadOnlySpan<float> vector, bool normalize)
    {
        if (_completed) throw new InvalidOperationException("The index is already complete.");
        if (vector.Length != Dimension) throw new InvalidDataException($"{key}: {vector.Length} dimensions, the index has {Dimension}.");
        if (FiniteValues.FirstNonFinite(vector) >= 0) throw new InvalidDataException($"{key}: the vector holds NaN or infinite values.");
        if (!_seen.Add(key)) throw new InvalidDataException($"{key}: the key occurs twice.");
        if (_keys.Count == int.MaxValue) throw new InvalidOperationException("An index holds at most 2^31-1 rows.");
        vector.CopyTo(_unit);
        float norm = normalize ? TensorPrimitives.Norm(_unit) : 0;
        if (norm > 0) TensorPrimitives.Divide(_unit, norm, _unit);
        if (Element == VectorElement.Float32) MemoryMarshal.AsBytes(_unit.AsSpan()).CopyTo(_row);
        else TensorPrimitives.ConvertToHalf(_unit, MemoryMarshal.Cast<byte, Half>(_row.AsSpan()));
        _stream.Write(_row);
        _keys.Add(key);
    }

    /// <summary>Writes the key table and header, builds the HNSW graph when <paramref name="graph"/> is given, and moves
    /// both files into place (the graph first, so a finished index never points at a graph still being written).</summary>
    public void Complete(HnswBuildOptions? graph = null)
    {
        if (_completed) throw new InvalidOperationException("The index is already complete.");
        _completed = true;
        var keyBytes = VectorIndexHeader.WriteKeys(_keys);
        long keysOffset = _stream.Position;
        _stream.Write(keyBytes);
        var header = new VectorIndexHeader(Dimension, _keys.Count, VectorMetric.Cosine, Element, keysOffset, keyBytes.Length, 0, 0, 0);
        WriteHeader(header);
        string graphPath = VectorIndex.GraphPath(_path);
        string? graphTmp = null;
        try
        {
            if (graph is not null && _keys.Count > 0)
            {
                // USearch writes the graph to a path: a recognised temporary of the graph file, so one a crash leaves is cleaned up.
                graphTmp = AtomicFile.TemporaryPathFor(graphPath);
                _stream.Flush();
                long graphLength = BuildGraph(graph, graphTmp);
                WriteHeader(header with { AnnLength = graphLength, AnnConnectivity = graph.Connectivity, AnnExpansionAdd = graph.ExpansionAdd });
            }
            _file.FlushToDisk(); // all of the index on disk before the first rename
            BeforeCommit?.Invoke();
            if (graphTmp is not null) AtomicFile.Commit(graphTmp, graphPath);
            _file.Commit();
            if (graphTmp is null && File.Exists(graphPath)) File.Delete(graphPath); // a stale graph of an earlier build
        }
        finally
        {
            if (graphTmp is not null) AtomicFile.TryDelete(graphTmp); // a failed build's; gone after the commit
        }
    }

    private void WriteHeader(VectorIndexHeader header)
    {
        long end = _stream.Position;
        _stream.Position = 0;
        _stream.Write(header.ToBytes());
        _stream.Position = end;
    }

    private long BuildGraph(HnswBuildOptions options, string graphTmp)
    {
        using (var index = VectorIndex.Open(_file.TemporaryPath))
            HnswBuilder.Build(index, options, graphTmp);
        return new FileInfo(graphTmp).Length;
    }

    /// <summary>Without a completed <see cref="Complete"/>, deletes the temporary file; the target is left as it was.</summary>
    public void Dispose() => _file.Dispose();
}

/// <summary>Adds every row of an open index to a new HNSW graph from several threads and saves it.</summary>
internal static unsafe class HnswBuilder
{
    public static void Build(VectorIndex index, HnswBuildOptions options, string path)
    {
        int threads = Math.Max(1, options.Threads);
        using var graph = HnswGraph.Create(index.Dimension, index.Count, options.Connectivity, options.ExpansionAdd, threads, path);
        int dim = index.Dimension;
        nint matrix = (nint)index.Matrix;
        bool half = index.Header.Element == VectorElement.Float16;
        Parallel.For(0, index.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[dim], (row, _, buffer) =>
        {
            if (!half) graph.Add(row, (float*)matrix + (long)row * dim);
            else
            {
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)matrix + (long)row * dim, dim), buffer);
                fixed (float* b = buffer) graph.Add(row, b);
            }
            return buffer;
        }, _ => { });
        graph.Save(path);
    }
}
