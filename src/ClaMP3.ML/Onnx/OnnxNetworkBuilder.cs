using ClaMP3.ML.Checkpoints;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// The layers the CLaMP 3 and MERT graphs are made of (linear, LayerNorm, exact GELU, multi-head attention), written into
/// an <see cref="OnnxGraph"/> from named checkpoint tensors. With <see cref="Int8"/>, the weight matrices of the
/// transformer layers become int8 per output channel and their inputs are quantized at run time
/// (DynamicQuantizeLinear → MatMulInteger → Cast → Mul by the scale product → Add bias, the form ORT fuses into
/// DynamicQuantizeMatMul / MatMulIntegerToFloat).
/// </summary>
internal sealed class OnnxNetworkBuilder
{
    private readonly IReadOnlyDictionary<string, CheckpointTensor> _weights;

    public OnnxNetworkBuilder(OnnxGraph graph, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8)
    {
        Graph = graph;
        _weights = weights;
        Source = source;
        Int8 = int8;
    }

    public OnnxGraph Graph { get; }
    public bool Int8 { get; }
    /// <summary>The checkpoint, for messages.</summary>
    public string Source { get; }

    public bool HasWeight(string name) => _weights.ContainsKey(name);

    /// <summary>A tensor of the checkpoint as float32, checked for presence, shape and finite values.</summary>
    public float[] Weight(string name, params long[] shape)
    {
        if (!_weights.TryGetValue(name, out var t))
            throw new OnnxExportException($"{Source}: tensor '{name}' is missing (needed for the ONNX graph).");
        if (!t.Shape.SequenceEqual(shape))
            throw new OnnxExportException($"{Source}: tensor '{name}' is [{string.Join(", ", t.Shape)}], the config implies [{string.Join(", ", shape)}].");
        if (t.DType is not (TensorDType.Float32 or TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Float64))
            throw new OnnxExportException($"{Source}: tensor '{name}' has element type {t.DType}; a floating-point weight is needed.");
        var values = t.ToFloat32();
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new OnnxExportException($"{Source}: tensor '{name}' holds a non-finite value ({values[i]}) at element {i}; refusing to export it.");
        return values;
    }

    /// <summary>A float initializer copied from the checkpoint under its own name.</summary>
    public string Parameter(string name, params long[] shape) => Graph.Floats(name, Weight(name, shape), shape);

    /// <summary><c>x·Wᵀ·scale + b·scale</c> for a torch Linear (<c>weight</c> [out, in]). <paramref name="quantize"/>: int8 when the builder is int8.</summary>
    public string Linear(string x, string prefix, int inSize, int outSize, bool quantize, float scale = 1f)
    {
        var w = Weight(prefix + ".weight", outSize, inSize);
        var b = Weight(prefix + ".bias", outSize);
        var transposed = Transposed(w, outSize, inSize, scale); // [in, out] for MatMul
        if (scale != 1f) for (int o = 0; o < outSize; o++) b[o] *= scale;
        var bias = Graph.Floats(prefix + ".bias", b, outSize);
        if (Int8 && quantize) return QuantizedMatMul(x, prefix, transposed, inSize, outSize, bias);
        var product = Graph.Node("MatMul", new[] { x, Graph.Floats(prefix + ".weight_t", transposed, inSize, outSize) });
        return Graph.Node("Add", new[] { product, bias });
    }

    /// <summary><paramref name="w"/> [rows, columns] as [columns, rows], every value times <paramref name="scale"/> (× 1 is exact).</summary>
    public static float[] Transposed(float[] w, long rows, long columns, float scale = 1f)
    {
        var transposed = new float[w.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < columns; c++) transposed[c * rows + r] = w[r * columns + c] * scale;
        return transposed;
    }

    private string QuantizedMatMul(string x, string prefix, float[] w, int inSize, int outSize, string bias)
    {
        // Symmetric per output channel: q = round(w / s), s = max|w| / 127, zero point 0 (so no b_zero_point input).
        var q = new sbyte[w.Length];
        var scales = new float[outSize];
        for (int o = 0; o < outSize; o++)
        {
            float max = 0;
            for (int i = 0; i < inSize; i++) max = Math.Max(max, Math.Abs(w[(long)i * outSize + o]));
            float s = max > 0 ? max / 127f : 1f;
            scales[o] = s;
            for (int i = 0; i < inSize; i++)
                q[(long)i * outSize + o] = (sbyte)Math.Clamp(MathF.Round(w[(long)i * outSize + o] / s, MidpointRounding.ToEven), -127, 127);
        }
        var quantized = Graph.Nodes("DynamicQuantizeLinear", new[] { x }, 3);
        var integer = Graph.Node("MatMulInteger", new[] { quantized[0], Graph.SBytes(prefix + ".weight_q", q, inSize, outSize), quantized[2] });
        var asFloat = Graph.Node("Cast", new[] { integer }, new[] { new OnnxAttr("to", (int)OnnxType.Float) });
        var scale = Graph.Node("Mul", new[] { quantized[1], Graph.Floats(prefix + ".weight_scale", scales, outSize) });
        var product = Graph.Node("Mul", new[] { asFloat, scale });
        return Graph.Node("Add", new[] { product, bias });
    }

    /// <summary>LayerNormalization over the last axis with <c>{prefix}.weight</c> / <c>{prefix}.bias</c>.</summary>
    public string LayerNorm(string x, string prefix, int size, double eps) =>
        Graph.Node("LayerNormalization", new[] { x, Parameter(prefix + ".weight", size), Parameter(prefix + ".bias", size) },
            new[] { new OnnxAttr("axis", -1L), new OnnxAttr("epsilon", (float)eps) });

    /// <summary>Exact GELU, <c>0.5·x·(1 + erf(x/√2))</c>, in the node pattern ORT fuses into its Gelu kernel.</summary>
    public string Gelu(string x)
    {
        var scaled = Graph.Node("Div", new[] { x, Graph.Scalar(1.4142135381698608f) });
        var erf = Graph.Node("Erf", new[] { scaled });
        var plusOne = Graph.Node("Add", new[] { erf, Graph.Scalar(1f) });
        var times = Graph.Node("Mul", new[] { x, plusOne });
        return Graph.Node("Mul", new[] { times, Graph.Scalar(0.5f) });
    }

    /// <summary>
    /// Multi-head self-attention over [B, L, H]: heads are contiguous blocks of head_dim; scores = q·kᵀ/√d (the scale is
    /// folded into the query weights, exact when √d is a power of two) plus <paramref name="additiveMask"/> ([B, 1, 1, L]
    /// or null), softmax over keys, weighted sum of values. Returns the context [B, L, H] before the output projection.
    /// </summary>
    public string SelfAttention(string q, string k, string v, int heads, int headDim, string? additiveMask)
    {
        var split = Graph.Vector(0, 0, heads, headDim);
        string Heads(string t, long[] perm) =>
            Graph.Node("Transpose", new[] { Graph.Node("Reshape", new[] { t, split }) }, new[] { new OnnxAttr("perm", perm) });
        var qh = Heads(q, new long[] { 0, 2, 1, 3 });   // [B, h, L, d]
        var kh = Heads(k, new long[] { 0, 2, 3, 1 });   // [B, h, d, L]
        var vh = Heads(v, new long[] { 0, 2, 1, 3 });
        var scores = Graph.Node("MatMul", new[] { qh, kh });
        if (additiveMask is not null) scores = Graph.Node("Add", new[] { scores, additiveMask });
        var probs = Graph.Node("Softmax", new[] { scores }, new[] { new OnnxAttr("axis", -1L) });
        var context = Graph.Node("Transpose", new[] { Graph.Node("MatMul", new[] { probs, vh }) }, new[] { new OnnxAttr("perm", new long[] { 0, 2, 1, 3 }) });
        return Graph.Node("Reshape", new[] { context, Graph.Vector(0, 0, (long)heads * headDim) });
    }

    /// <summary>Mean over axis 1 of [B, L, H] → [B, H].</summary>
    public string MeanOverTime(string x) =>
        Graph.Node("ReduceMean", new[] { x }, new[] { new OnnxAttr("axes", new long[] { 1 }), new OnnxAttr("keepdims", 0L) });
}

/// <summary>A checkpoint or config that cannot be exported; the message names the tensor or field and why.</summary>
public sealed class OnnxExportException : Exception
{
    public OnnxExportException(string message) : base(message) { }
}
