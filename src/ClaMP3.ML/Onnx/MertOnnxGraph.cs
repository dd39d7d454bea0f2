using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling.Mert;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// MERT (MusicHubert, eval) as one ONNX graph: input <c>waveform</c> [batch, samples] (normalised 24 kHz windows of
/// equal length), output <c>hidden_state_means</c> [L, batch, H]: per window the mean over time of every hidden state
/// (L = layers + 1), what <c>extract_mert.py</c> keeps of each window.
/// </summary>
/// <remarks>Semantics as <c>MusicHubertModel</c>: conv → norm (GroupNorm(C, C) on layer 0 = InstanceNormalization,
/// or LayerNorm over channels on every layer, eps 1e-5) → exact GELU; LayerNorm + Linear projection; the weight-normed
/// positional conv folded into one weight at export (w = v·g/‖v‖ per kernel tap, in float64), same padding, last frame
/// dropped for an even kernel, GELU; post-LN (or stable pre-LN) layers with q scaled by head_dim^−½.</remarks>
internal static class MertOnnxGraph
{
    private const double ConvNormEps = 1e-5; // HF builds the conv norms with torch's default, not layer_norm_eps
    private const string PosConv = "encoder.pos_conv_embed.conv.";

    public static OnnxGraph Build(MertConfig c, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8)
    {
        var b = new OnnxNetworkBuilder(new OnnxGraph("mert"), weights, source, int8);
        var g = b.Graph;
        var wave = g.Input("waveform", OnnxType.Float, "batch", "samples");
        g.Node("Identity", new[] { HiddenStateMeans(b, c, wave) }, output: "hidden_state_means");
        g.Output("hidden_state_means", OnnxType.Float, (long)c.NumHiddenStates, "batch", (long)c.HiddenSize);
        return g;
    }

    /// <summary>Per window the mean over time of every hidden state, [L, B, H], for windows [B, samples], built into
    /// <paramref name="b"/>'s graph.</summary>
    internal static string HiddenStateMeans(OnnxNetworkBuilder b, MertConfig c, string wave)
    {
        var g = b.Graph;
        var x = g.Node("Unsqueeze", new[] { wave, g.Vector(1) }); // [B, 1, N]
        x = FeatureEncoder(b, c, x);
        var features = g.Node("Transpose", new[] { x }, new[] { new OnnxAttr("perm", new long[] { 0, 2, 1 }) }); // [B, T, C]
        int channels = c.ConvDim[^1], h = c.HiddenSize;
        if (c.FeatProjLayerNorm) features = b.LayerNorm(features, "feature_projection.layer_norm", channels, c.LayerNormEps);
        var projected = b.Linear(features, "feature_projection.projection", channels, h, false);
        var hidden = g.Node("Add", new[] { projected, PositionalConv(b, c, projected) });
        if (!c.DoStableLayerNorm) hidden = b.LayerNorm(hidden, "encoder.layer_norm", h, c.LayerNormEps);
        var means = new List<string>();
        void Keep(string state) => means.Add(g.Node("Unsqueeze", new[] { b.MeanOverTime(state), g.Vector(0) }));
        if (c.DoStableLayerNorm && c.NumHiddenLayers == 0) hidden = b.LayerNorm(hidden, "encoder.layer_norm", h, c.LayerNormEps);
        Keep(hidden);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            hidden = Layer(b, c, hidden, $"encoder.layers.{i}.");
            if (c.DoStableLayerNorm && i == c.NumHiddenLayers - 1) hidden = b.LayerNorm(hidden, "encoder.layer_norm", h, c.LayerNormEps);
            Keep(hidden);
        }
        return g.Node("Concat", means, new[] { new OnnxAttr("axis", 0L) });
    }

    private static string FeatureEncoder(OnnxNetworkBuilder b, MertConfig c, string x)
    {
        var g = b.Graph;
        for (int i = 0; i < c.NumFeatExtractLayers; i++)
        {
            var p = $"feature_extractor.conv_layers.{i}.";
            int inChannels = i == 0 ? 1 : c.ConvDim[i - 1], outChannels = c.ConvDim[i];
            var inputs = new List<string> { x, b.Parameter(p + "conv.weight", outChannels, inChannels, c.ConvKernel[i]) };
            if (c.ConvBias) inputs.Add(b.Parameter(p + "conv.bias", outChannels));
            x = g.Node("Conv", inputs, new[]
            {
                new OnnxAttr("kernel_shape", new long[] { c.ConvKernel[i] }), new OnnxAttr("strides", new long[] { c.ConvStride[i] }),
            });
            if (c.FeatExtractNorm == "group" && i == 0)
                x = g.Node("InstanceNormalization", new[] { x, b.Parameter(p + "layer_norm.weight", outChannels), b.Parameter(p + "layer_norm.bias", outChannels) },
                    new[] { new OnnxAttr("epsilon", (float)ConvNormEps) });
            else if (c.FeatExtractNorm == "layer")
            {
                var perm = new[] { new OnnxAttr("perm", new long[] { 0, 2, 1 }) };
                var normed = b.LayerNorm(g.Node("Transpose", new[] { x }, perm), p + "layer_norm", outChannels, ConvNormEps);
                x = g.Node("Transpose", new[] { normed }, perm);
            }
            x = b.Gelu(x);
        }
        return x;
    }

    /// <summary>The positional conv branch over [B, T, H] → [B, T, H].</summary>
    private static string PositionalConv(OnnxNetworkBuilder b, MertConfig c, string x)
    {
        var g = b.Graph;
        int h = c.HiddenSize, k = c.NumConvPosEmbeddings, groups = c.NumConvPosEmbeddingGroups, perGroup = h / groups;
        var weight = FoldedWeight(b, h, perGroup, k);
        var perm = new[] { new OnnxAttr("perm", new long[] { 0, 2, 1 }) };
        var y = g.Node("Conv", new[] { g.Node("Transpose", new[] { x }, perm), g.Floats(PosConv + "weight", weight, h, perGroup, k), b.Parameter(PosConv + "bias", h) }, new[]
        {
            new OnnxAttr("kernel_shape", new long[] { k }), new OnnxAttr("pads", new long[] { k / 2, k / 2 }), new OnnxAttr("group", (long)groups),
        });
        if (k % 2 == 0) y = g.Node("Slice", new[] { y, g.Vector(0), g.Vector(-1), g.Vector(2) }); // HubertSamePadLayer
        return g.Node("Transpose", new[] { b.Gelu(y) }, perm);
    }

    /// <summary>weight_norm(dim=2) folded: w = v · g / ‖v‖, the norm over dims 0 and 1 for each kernel tap, in float64.</summary>
    private static float[] FoldedWeight(OnnxNetworkBuilder b, int h, int perGroup, int k)
    {
        if (!b.HasWeight(PosConv + "weight_v") && b.HasWeight(PosConv + "weight"))
            return b.Weight(PosConv + "weight", h, perGroup, k); // saved with weight_norm removed
        var v = b.Weight(PosConv + "weight_v", h, perGroup, k);
        var gain = b.Weight(PosConv + "weight_g", 1, 1, k);
        var folded = new float[v.Length];
        for (int tap = 0; tap < k; tap++)
        {
            double squares = 0;
            for (long r = 0; r < (long)h * perGroup; r++) squares += (double)v[r * k + tap] * v[r * k + tap];
            double scale = gain[tap] / Math.Sqrt(squares);
            if (!double.IsFinite(scale))
                throw new OnnxExportException($"{b.Source}: tensor '{PosConv}weight_v' is all zeros at kernel tap {tap}: the weight norm divides by zero.");
            for (long r = 0; r < (long)h * perGroup; r++) folded[r * k + tap] = (float)(v[r * k + tap] * scale);
        }
        return folded;
    }

    private static string Layer(OnnxNetworkBuilder b, MertConfig c, string x, string p)
    {
        var g = b.Graph;
        int h = c.HiddenSize;
        string Attention(string input)
        {
            int headDim = h / c.NumAttentionHeads;
            var q = b.Linear(input, p + "attention.q_proj", h, h, true, (float)Math.Pow(headDim, -0.5));
            var k = b.Linear(input, p + "attention.k_proj", h, h, true);
            var v = b.Linear(input, p + "attention.v_proj", h, h, true);
            return b.Linear(b.SelfAttention(q, k, v, c.NumAttentionHeads, headDim, null), p + "attention.out_proj", h, h, true);
        }
        string FeedForward(string input) =>
            b.Linear(b.Gelu(b.Linear(input, p + "feed_forward.intermediate_dense", h, c.IntermediateSize, true)), p + "feed_forward.output_dense", c.IntermediateSize, h, false); // float32 in int8 models, as in the CLaMP 3 encoders
        if (c.DoStableLayerNorm)
        {
            var a = g.Node("Add", new[] { x, Attention(b.LayerNorm(x, p + "layer_norm", h, c.LayerNormEps)) });
            return g.Node("Add", new[] { a, FeedForward(b.LayerNorm(a, p + "final_layer_norm", h, c.LayerNormEps)) });
        }
        var attended = b.LayerNorm(g.Node("Add", new[] { x, Attention(x) }), p + "layer_norm", h, c.LayerNormEps);
        return b.LayerNorm(g.Node("Add", new[] { attended, FeedForward(attended) }), p + "final_layer_norm", h, c.LayerNormEps);
    }
}
