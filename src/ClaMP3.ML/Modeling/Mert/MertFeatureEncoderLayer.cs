using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>One layer of HF <c>HubertFeatureEncoder.conv_layers</c>: conv → norm → exact GELU, channels-last.
/// Covers <c>HubertGroupNormConvLayer</c> (GroupNorm(C, C) over time, eps 1e-5), <c>HubertLayerNormConvLayer</c>
/// (LayerNorm over channels, eps 1e-5 hard-coded in HF) and <c>HubertNoLayerNormConvLayer</c>.</summary>
public sealed class MertFeatureEncoderLayer : nn.Module<Tensor, Tensor>
{
    public enum NormKind { None, Group, Layer }

#pragma warning disable IDE1006 // HF state-dict names
    public readonly MertConv conv;
    public readonly nn.Module<Tensor, Tensor>? layer_norm;
#pragma warning restore IDE1006

    private const double ConvNormEps = 1e-5; // HF builds these norms with the torch default, not layer_norm_eps

    public NormKind Norm { get; }

    public MertFeatureEncoderLayer(int inChannels, int outChannels, int kernel, int stride, bool convBias, NormKind norm)
        : base("conv_layer")
    {
        Norm = norm;
        conv = new MertConv(inChannels, outChannels, kernel, stride, convBias);
        layer_norm = norm switch
        {
            NormKind.Group => nn.GroupNorm(outChannels, outChannels, ConvNormEps, affine: true),
            NormKind.Layer => nn.LayerNorm(new long[] { outChannels }, ConvNormEps, elementwise_affine: true),
            _ => null,
        };
        RegisterComponents();
    }

    /// <summary>GroupNorm(C, C) on channels-last (B, T, C): each channel normalised over the window's own time axis.
    /// Same arithmetic as libtorch's kernel (y = x·(γ·rstd) + (β − mean·γ·rstd), biased variance), without the two
    /// transposed copies that calling it on (B, C, T) needs (measured 5× slower than the conv before it).</summary>
    private static Tensor GroupNormChannelsLast(Tensor x, GroupNorm norm)
    {
        using var scope = NewDisposeScope();
        var (variance, mean) = var_mean(x, new long[] { 1 }, unbiased: false, keepdim: true); // (B, 1, C)
        var scale = (variance + ConvNormEps).rsqrt() * norm.weight!;
        var shift = norm.bias! - mean * scale;
        return addcmul(shift, x, scale, 1).MoveToOuterDisposeScope();
    }

    /// <summary>(B, T, C_in) → (B, T_out, C_out), both channels-last.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = conv.call(input);
        switch (Norm)
        {
            case NormKind.Group:
                y = GroupNormChannelsLast(y, (GroupNorm)layer_norm!);
                break;
            case NormKind.Layer:
                y = layer_norm!.call(y);
                break;
        }
        return nn.functional.gelu(y).MoveToOuterDisposeScope();
    }
}
