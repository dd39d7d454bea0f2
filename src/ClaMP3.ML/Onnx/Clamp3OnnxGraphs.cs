using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// The three CLaMP 3 encoders as ONNX graphs, each with inputs <c>attention_mask</c> [batch, length] (float, 1 real,
/// 0 padding) plus <c>input_ids</c> [batch, length] (text, int64), <c>patches</c> [batch, length, patch_size] (symbolic,
/// int64 character ids 0..127) or <c>features</c> [batch, length, hidden] (audio, float), and outputs <c>sequence</c>
/// [batch, length, hidden] (last hidden state) and <c>global</c> [batch, D] (masked mean → projection). The segment
/// weighting of long inputs stays in C# (<see cref="Inference.Clamp3Embedder"/>).
/// </summary>
/// <remarks>Semantics as <c>Clamp3Model</c> (HF BERT / XLM-R, eval): XLM-R positions
/// <c>cumsum(ids≠pad)·(ids≠pad)+pad</c>, BERT positions 0..L−1, token type 0, post-LN layers, exact GELU, additive
/// mask <c>(1−m)·finfo(float32).min</c>. The M3 patch embedding is a gather-sum of patch_size rows of the transposed
/// <c>patch_embedding</c> weight plus its bias (never the one-hot matmul).</remarks>
internal static class Clamp3OnnxGraphs
{
    /// <summary>The model of one encoder: <see cref="Text"/>, <see cref="Symbolic"/> or <see cref="Audio"/>.</summary>
    public static OnnxGraph For(Modality modality, Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8) => modality switch
    {
        Modality.Text => Text(config, weights, source, int8),
        Modality.Symbolic => Symbolic(config, weights, source, int8),
        _ => Audio(config, weights, source, int8),
    };

    public static OnnxGraph Text(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8) =>
        Model("clamp3_text", weights, source, int8, g => g.Input("input_ids", OnnxType.Int64, "batch", "length"),
            (b, ids, mask) => TextHidden(b, config, ids, mask), "text_proj", config.Text, config.Clamp3HiddenSize);

    /// <summary>The text encoder's last hidden state [B, L, H] for ids [B, L] and mask [B, L], built into <paramref name="b"/>'s graph.</summary>
    internal static string TextHidden(OnnxNetworkBuilder b, Clamp3Config config, string ids, string mask)
    {
        var c = config.Text;
        var g = b.Graph;
        const string p = "text_model.";
        var pad = g.Scalar((long)c.PadTokenId);
        var notPad = g.Node("Cast", new[] { g.Node("Not", new[] { g.Node("Equal", new[] { ids, pad }) }) }, new[] { new OnnxAttr("to", (int)OnnxType.Int64) });
        var positions = g.Node("Add", new[] { g.Node("Mul", new[] { g.Node("CumSum", new[] { notPad, g.Scalar(1L) }), notPad }), pad });
        var words = g.Node("Gather", new[] { b.Parameter(p + "embeddings.word_embeddings.weight", c.VocabSize, c.HiddenSize), ids });
        var x = g.Node("Add", new[] { words, TokenType0(b, p, c) });
        x = g.Node("Add", new[] { x, g.Node("Gather", new[] { b.Parameter(p + "embeddings.position_embeddings.weight", c.MaxPositionEmbeddings, c.HiddenSize), positions }) });
        return Encoder(b, b.LayerNorm(x, p + "embeddings.LayerNorm", c.HiddenSize, c.LayerNormEps), mask, p, c);
    }

    /// <summary>Projected masked mean [B, D] of the text encoder (what <c>global</c> outputs).</summary>
    internal static string EncodeText(OnnxNetworkBuilder b, Clamp3Config config, string ids, string mask) =>
        Global(b, TextHidden(b, config, ids, mask), mask, "text_proj", config.Text, config.Clamp3HiddenSize);

    public static OnnxGraph Symbolic(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8) =>
        Model("clamp3_symbolic", weights, source, int8, g => g.Input("patches", OnnxType.Int64, "batch", "length", (long)config.PatchSize),
            (b, patches, mask) => SymbolicHidden(b, config, patches, mask), "symbolic_proj", config.Symbolic, config.Clamp3HiddenSize);

    /// <summary>The symbolic encoder's last hidden state [B, L, H] for patches [B, L, patch_size] and mask [B, L].</summary>
    internal static string SymbolicHidden(OnnxNetworkBuilder b, Clamp3Config config, string patches, string mask)
    {
        var c = config.Symbolic;
        int patchSize = config.PatchSize, vocab = Clamp3Config.PatchVocabSize, h = c.HiddenSize;
        var g = b.Graph;
        // Row p·128 + id of the transposed weight is the column the official one-hot selects.
        long columns = (long)patchSize * vocab;
        var table = OnnxNetworkBuilder.Transposed(b.Weight("symbolic_model.patch_embedding.weight", h, columns), h, columns);
        var tableName = g.Floats("symbolic_model.patch_embedding.weight_t", table, columns, h);
        string? sum = null;
        for (int position = 0; position < patchSize; position++)
        {
            var ids = g.Node("Gather", new[] { patches, g.Scalar((long)position) }, new[] { new OnnxAttr("axis", 2L) });
            var rows = g.Node("Gather", new[] { tableName, position == 0 ? ids : g.Node("Add", new[] { ids, g.Scalar((long)position * vocab) }) });
            sum = sum is null ? rows : g.Node("Add", new[] { sum, rows });
        }
        var embeds = g.Node("Add", new[] { sum!, b.Parameter("symbolic_model.patch_embedding.bias", h) });
        return Encoder(b, BertEmbeddings(b, embeds, "symbolic_model.base.", c), mask, "symbolic_model.base.", c);
    }

    /// <summary>Projected masked mean [B, D] of the symbolic encoder.</summary>
    internal static string EncodeSymbolic(OnnxNetworkBuilder b, Clamp3Config config, string patches, string mask) =>
        Global(b, SymbolicHidden(b, config, patches, mask), mask, "symbolic_proj", config.Symbolic, config.Clamp3HiddenSize);

    public static OnnxGraph Audio(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8) =>
        Model("clamp3_audio", weights, source, int8, g => g.Input("features", OnnxType.Float, "batch", "length", (long)config.AudioFeatureDim),
            (b, features, mask) => AudioHidden(b, config, features, mask), "audio_proj", config.Audio, config.Clamp3HiddenSize);

    /// <summary>The audio encoder's last hidden state [B, L, H] for MERT rows [B, L, feature dim] and mask [B, L].</summary>
    internal static string AudioHidden(OnnxNetworkBuilder b, Clamp3Config config, string features, string mask) =>
        Encoder(b, BertEmbeddings(b, features, "audio_model.", config.Audio), mask, "audio_model.", config.Audio);

    /// <summary>Projected masked mean [B, D] of the audio encoder.</summary>
    internal static string EncodeAudio(OnnxNetworkBuilder b, Clamp3Config config, string features, string mask) =>
        Global(b, AudioHidden(b, config, features, mask), mask, "audio_proj", config.Audio, config.Clamp3HiddenSize);

    private static string TokenType0(OnnxNetworkBuilder b, string prefix, BertConfig c)
    {
        var name = prefix + "embeddings.token_type_embeddings.weight";
        var table = b.Weight(name, c.TypeVocabSize, c.HiddenSize);
        return b.Graph.Floats(name + "_row0", table.AsSpan(0, c.HiddenSize).ToArray(), c.HiddenSize);
    }

    /// <summary>BERT with inputs_embeds: LayerNorm(x + token_type[0] + position[0..L−1]).</summary>
    private static string BertEmbeddings(OnnxNetworkBuilder b, string x, string prefix, BertConfig c)
    {
        var g = b.Graph;
        var table = b.Parameter(prefix + "embeddings.position_embeddings.weight", c.MaxPositionEmbeddings, c.HiddenSize);
        var length = g.Node("Shape", new[] { x }, new[] { new OnnxAttr("start", 1L), new OnnxAttr("end", 2L) });
        var positions = g.Node("Slice", new[] { table, g.Vector(0), length, g.Vector(0) });
        var sum = g.Node("Add", new[] { g.Node("Add", new[] { x, TokenType0(b, prefix, c) }), positions });
        return b.LayerNorm(sum, prefix + "embeddings.LayerNorm", c.HiddenSize, c.LayerNormEps);
    }

    /// <summary>The post-LN encoder layers over [B, L, H] with HF's additive key mask.</summary>
    private static string Encoder(OnnxNetworkBuilder b, string x, string mask, string prefix, BertConfig c)
    {
        var g = b.Graph;
        int h = c.HiddenSize;
        var inverted = g.Node("Sub", new[] { g.Scalar(1f), mask });
        var additive = g.Node("Unsqueeze", new[] { g.Node("Mul", new[] { inverted, g.Scalar(float.MinValue) }), g.Vector(1, 2) }); // [B, 1, 1, L]
        float scale = (float)(1.0 / Math.Sqrt(c.HeadDim));
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var l = $"{prefix}encoder.layer.{i}.";
            var q = b.Linear(x, l + "attention.self.query", h, h, true, scale);
            var k = b.Linear(x, l + "attention.self.key", h, h, true);
            var v = b.Linear(x, l + "attention.self.value", h, h, true);
            var context = b.SelfAttention(q, k, v, c.NumAttentionHeads, c.HeadDim, additive);
            var attention = b.Linear(context, l + "attention.output.dense", h, h, true);
            var a = b.LayerNorm(g.Node("Add", new[] { attention, x }), l + "attention.output.LayerNorm", h, c.LayerNormEps);
            var inner = b.Gelu(b.Linear(a, l + "intermediate.dense", h, c.IntermediateSize, true));
            // The GELU output is one-sided and heavy-tailed: quantized per tensor it costs the most accuracy, so this
            // product stays float32 in int8 models (measured on clamp3-tiny and the real corpus: worst global cosine vs float32 0.99942 → 0.99957).
            var output = b.Linear(inner, l + "output.dense", c.IntermediateSize, h, false);
            x = b.LayerNorm(g.Node("Add", new[] { output, a }), l + "output.LayerNorm", h, c.LayerNormEps);
        }
        return x;
    }

    /// <summary>One encoder model: its own input (declared first), then <c>attention_mask</c> [batch, length], and the
    /// outputs <c>sequence</c> and <c>global</c>.</summary>
    private static OnnxGraph Model(string name, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8,
        Func<OnnxGraph, string> input, Func<OnnxNetworkBuilder, string, string, string> hidden, string projection, BertConfig c, int globalSize)
    {
        var b = new OnnxNetworkBuilder(new OnnxGraph(name), weights, source, int8);
        var x = input(b.Graph);
        var mask = b.Graph.Input("attention_mask", OnnxType.Float, "batch", "length");
        Outputs(b, hidden(b, x, mask), mask, projection, c, globalSize);
        return b.Graph;
    }

    /// <summary><c>sequence</c> = the last hidden state; <c>global</c> = projection of Σ h·m / Σ m.</summary>
    private static void Outputs(OnnxNetworkBuilder b, string hidden, string mask, string projection, BertConfig c, int globalSize)
    {
        var g = b.Graph;
        g.Node("Identity", new[] { hidden }, output: "sequence");
        g.Output("sequence", OnnxType.Float, "batch", "length", (long)c.HiddenSize);
        g.Node("Identity", new[] { Global(b, hidden, mask, projection, c, globalSize) }, output: "global");
        g.Output("global", OnnxType.Float, "batch", (long)globalSize);
    }

    /// <summary>Projection of Σ h·m / Σ m: [B, D].</summary>
    private static string Global(OnnxNetworkBuilder b, string hidden, string mask, string projection, BertConfig c, int globalSize)
    {
        var g = b.Graph;
        var m = g.Node("Unsqueeze", new[] { mask, g.Vector(2) });
        var axis = g.Vector(1);
        var keep = new[] { new OnnxAttr("keepdims", 0L) };
        var sum = g.Node("ReduceSum", new[] { g.Node("Mul", new[] { hidden, m }), axis }, keep);
        var count = g.Node("ReduceSum", new[] { m, axis }, keep);
        return b.Linear(g.Node("Div", new[] { sum, count }), projection, c.HiddenSize, globalSize, false);
    }
}
