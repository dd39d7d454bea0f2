using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertEncoderLayer</c> (post-LN: h = LN1(h + Attn(h)); h = LN2(h + FF(h))) or, for
/// <c>do_stable_layer_norm</c>, <c>HubertEncoderLayerStableLayerNorm</c> (pre-LN: h += Attn(LN1(h)); h += FF(LN2(h))).</summary>
public sealed class MertEncoderLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly MertAttention attention;
    public readonly LayerNorm layer_norm;
    public readonly MertFeedForward feed_forward;
    public readonly LayerNorm final_layer_norm;
#pragma warning restore IDE1006

    private readonly bool _preNorm;

    public MertEncoderLayer(MertConfig config) : base("layer")
    {
        _preNorm = config.DoStableLayerNorm;
        attention = new MertAttention(config);
        layer_norm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        feed_forward = new MertFeedForward(config);
        final_layer_norm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Tensor h;
        if (_preNorm)
        {
            h = hidden.Plus(attention.call(layer_norm.call(hidden)));
            h = h.Plus(feed_forward.call(final_layer_norm.call(h)));
        }
        else
        {
            h = layer_norm.call(hidden.Plus(attention.call(hidden)));
            h = final_layer_norm.call(h.Plus(feed_forward.call(h)));
        }
        return h.MoveToOuterDisposeScope();
    }
}
