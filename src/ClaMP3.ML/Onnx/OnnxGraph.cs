using System.Runtime.InteropServices;

namespace ClaMP3.ML.Onnx;

/// <summary>ONNX element types used by the exporter (TensorProto.DataType).</summary>
internal enum OnnxType { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, String = 8, Bool = 9 }

/// <summary>One node attribute: int/long → INT, float → FLOAT, long[] → INTS, string → STRING, <see cref="OnnxGraph"/> → GRAPH (a Loop body).</summary>
internal readonly record struct OnnxAttr(string Name, object Value);

/// <summary>
/// Builds one ONNX graph node by node (opset <see cref="Opset"/>). Every name is derived from a counter in creation order,
/// so the same sequence of calls gives the same bytes.
/// </summary>
internal sealed class OnnxGraph
{
    public const int Opset = 17;
    /// <summary>IR version 8 is the one that goes with opset 17.</summary>
    public const int IrVersion = 8;

    private readonly List<ProtoMessage> _nodes = new();
    private readonly List<ProtoMessage> _initializers = new();
    private readonly List<ProtoMessage> _inputs = new();
    private readonly List<ProtoMessage> _outputs = new();
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly string _prefix;
    private int _counter;

    /// <param name="namePrefix">Prefixes every generated name: a subgraph (a Loop body) must not reuse its parent's names.</param>
    public OnnxGraph(string name, string namePrefix = "")
    {
        Name = name;
        _prefix = namePrefix;
    }

    public string Name { get; }
    public bool UsesMicrosoftDomain { get; private set; }

    /// <summary>A graph input; a dimension is a long (fixed) or a string (symbolic, e.g. "batch").</summary>
    public string Input(string name, OnnxType type, params object[] dims)
    {
        _inputs.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> (made with that name by <see cref="Node"/>) as a graph output.</summary>
    public void Output(string value, OnnxType type, params object[] dims) => _outputs.Add(ValueInfo(value, type, dims));

    public string Node(string op, IReadOnlyList<string> nodeInputs, OnnxAttr[]? attributes = null, string? output = null, string? domain = null) =>
        Nodes(op, nodeInputs, 1, attributes, output is null ? null : new[] { output }, domain)[0];

    public string[] Nodes(string op, IReadOnlyList<string> nodeInputs, int outputCount, OnnxAttr[]? attributes = null, string[]? outputNames = null, string? domain = null)
    {
        int id = _counter++;
        var outs = outputNames ?? Enumerable.Range(0, outputCount).Select(i => $"{_prefix}{op}_{id}_{i}").ToArray();
        var node = new ProtoMessage();
        foreach (var input in nodeInputs) node.String(1, input);
        foreach (var o in outs) node.String(2, o);
        node.String(3, $"{_prefix}{op}_{id}");
        node.String(4, op);
        foreach (var a in attributes ?? Array.Empty<OnnxAttr>())
        {
            node.Message(5, Attribute(a));
            if (a.Value is OnnxGraph { UsesMicrosoftDomain: true }) UsesMicrosoftDomain = true;
        }
        if (domain is not null)
        {
            node.String(7, domain);
            if (domain == "com.microsoft") UsesMicrosoftDomain = true;
        }
        _nodes.Add(node);
        return outs;
    }

    // ------------------------------------------------------------------ initializers

    // The arrays are referenced, not copied (an official text encoder's word embeddings alone are 768 MB).
    public string Floats(string name, float[] values, params long[] dims) => Initializer(name, OnnxType.Float, new ArrayBytes<float>(values).Memory, dims);
    public string Longs(string name, long[] values, params long[] dims) => Initializer(name, OnnxType.Int64, new ArrayBytes<long>(values).Memory, dims);
    public string SBytes(string name, sbyte[] values, params long[] dims) => Initializer(name, OnnxType.Int8, new ArrayBytes<sbyte>(values).Memory, dims);
    public string Bytes(string name, byte[] values, params long[] dims) => Initializer(name, OnnxType.UInt8, values, dims);

    /// <summary>A float scalar constant (shared by value).</summary>
    public string Scalar(float value) => Constant($"f{BitConverter.SingleToInt32Bits(value):x8}", () => Floats($"{_prefix}const_{_counter++}", new[] { value }));

    /// <summary>An int64 scalar constant (shared by value).</summary>
    public string Scalar(long value) => Constant($"l{value}", () => Longs($"{_prefix}const_{_counter++}", new[] { value }));

    /// <summary>A 1-D int64 constant (shared by value).</summary>
    public string Vector(params long[] values) => Constant("v" + string.Join(",", values), () => Longs($"{_prefix}const_{_counter++}", values, values.Length));

    private string Constant(string key, Func<string> make)
    {
        if (!_constants.TryGetValue(key, out var name)) _constants[key] = name = make();
        return name;
    }

    private string Initializer(string name, OnnxType type, ReadOnlyMemory<byte> raw, long[] dims)
    {
        if (BitConverter.IsLittleEndian is false) throw new PlatformNotSupportedException("ONNX export needs a little-endian host.");
        var tensor = new ProtoMessage();
        foreach (var d in dims) tensor.Varint(1, d);
        tensor.Varint(2, (int)type);
        tensor.String(8, name);
        tensor.Bytes(9, raw);
        _initializers.Add(tensor);
        return name;
    }

    // ------------------------------------------------------------------ the model

    /// <summary>The ModelProto: IR 8, opset 17 (plus com.microsoft 1 when a contrib op is used), metadata in order.</summary>
    public ProtoMessage ToModel(string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var graph = ToGraph();

        var model = new ProtoMessage();
        model.Varint(1, IrVersion);
        model.String(2, "ClaMP3.ML");
        model.String(3, producerVersion);
        model.Message(7, graph);
        model.Message(8, new ProtoMessage().String(1, "").Varint(2, Opset));
        if (UsesMicrosoftDomain) model.Message(8, new ProtoMessage().String(1, "com.microsoft").Varint(2, 1));
        foreach (var (key, value) in metadata) model.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return model;
    }

    /// <summary>The GraphProto alone (also the body of a Loop).</summary>
    public ProtoMessage ToGraph()
    {
        var graph = new ProtoMessage();
        foreach (var n in _nodes) graph.Message(1, n);
        graph.String(2, Name);
        foreach (var t in _initializers) graph.Message(5, t);
        foreach (var i in _inputs) graph.Message(11, i);
        foreach (var o in _outputs) graph.Message(12, o);
        return graph;
    }

    private static ProtoMessage ValueInfo(string name, OnnxType type, object[] dims)
    {
        var shape = new ProtoMessage();
        foreach (var d in dims)
        {
            var dim = new ProtoMessage();
            if (d is string symbol) dim.String(2, symbol);
            else dim.Varint(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
            shape.Message(1, dim);
        }
        var tensorType = new ProtoMessage().Varint(1, (int)type).Message(2, shape);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }

    private static ProtoMessage Attribute(OnnxAttr a)
    {
        var m = new ProtoMessage().String(1, a.Name);
        switch (a.Value)
        {
            case int i: m.Varint(3, i).Varint(20, 2); break;
            case long l: m.Varint(3, l).Varint(20, 2); break;
            case float f: m.Float(2, f).Varint(20, 1); break;
            case long[] ls: foreach (var l in ls) m.Varint(8, l); m.Varint(20, 7); break;
            case string s: m.String(4, s).Varint(20, 3); break;
            case OnnxGraph body: m.Message(6, body.ToGraph()).Varint(20, 5); break;
            default: throw new ArgumentException($"Unsupported attribute type {a.Value?.GetType().Name} for '{a.Name}'.");
        }
        return m;
    }
}

/// <summary>The bytes of an unmanaged-element array as <see cref="Memory{T}"/> of bytes, without a copy.</summary>
internal sealed class ArrayBytes<T>(T[] array) : System.Buffers.MemoryManager<byte> where T : unmanaged
{
    private System.Runtime.InteropServices.GCHandle _handle;

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan());

    public override unsafe System.Buffers.MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_handle.IsAllocated) _handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
        return new System.Buffers.MemoryHandle((byte*)_handle.AddrOfPinnedObject() + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (_handle.IsAllocated) _handle.Free();
    }
}
