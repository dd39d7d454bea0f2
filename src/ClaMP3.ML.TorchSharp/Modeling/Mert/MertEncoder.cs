using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertEncoder</c> (post-LN; MERT) or <c>HubertEncoderStableLayerNorm</c> (<c>encoder</c>).</summary>
internal sealed class MertEncoder : nn.Module<Tensor, Action<int, Tensor>?, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly MertPositionalConvEmbedding pos_conv_embed;
    public readonly LayerNorm layer_norm;
    public readonly ModuleList<MertEncoderLayer> layers;
#pragma warning restore IDE1006

    private readonly bool _stable;

    public MertEncoder(MertConfig config) : base("encoder")
    {
        _stable = config.DoStableLayerNorm;
        pos_conv_embed = new MertPositionalConvEmbedding(config);
        layer_norm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        layers = new ModuleList<MertEncoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new MertEncoderLayer(config));
        RegisterComponents();
    }

    /// <summary>(B, T, H) projected features → last hidden state. <paramref name="onHiddenState"/>, when given,
    /// receives HF's <c>hidden_states</c> in order (index 0 … layers), each valid only during the call.</summary>
    /// <remarks>Post-LN: [0] = LayerNorm(x + pos_conv(x)), [i] = output of layer i. Stable: [0] = x + pos_conv(x)
    /// before any norm, [i] = output of layer i, and the last one after <c>encoder.layer_norm</c>.</remarks>
    public override Tensor forward(Tensor input, Action<int, Tensor>? onHiddenState)
    {
        Tensor h;
        using (var scope = NewDisposeScope())
        {
            using var pos = pos_conv_embed.call(input);
            h = input.Plus(pos);
            if (!_stable) h = layer_norm.call(h);
            h.MoveToOuterDisposeScope();
        }
        for (int i = 0; i < layers.Count; i++)
        {
            onHiddenState?.Invoke(i, h);
            Tensor next;
            using (var scope = NewDisposeScope()) // one scope per layer
            {
                next = layers[i].call(h);
                if (_stable && i == layers.Count - 1) next = layer_norm.call(next);
                next.MoveToOuterDisposeScope();
            }
            h.Dispose();
            h = next;
        }
        if (_stable && layers.Count == 0)
        {
            var normed = layer_norm.call(h);
            h.Dispose();
            h = normed;
        }
        onHiddenState?.Invoke(layers.Count, h);
        return h;
    }
}
