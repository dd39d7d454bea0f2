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

    /// <summary>Largest k·C_in for which <see cref="FoldedGroupNormConv"/> is used (layer 0 has k·1 = 10).</summary>
    private const long MaxFoldedPatch = 64;

    /// <summary>conv → GroupNorm(C, C) as one GEMM, on every device unless <c>conv1d</c> is forced
    /// (<see cref="MertConvAlgorithm.Conv1d"/>): it was measured faster than conv1d + group_norm on CPU and on CUDA.
    /// Why: on CPU layer 0 is memory-bound (its output is 512 × T for every
    /// 5 input samples), and the norm's statistics pass and scaling pass cost as much as the conv. The statistics are
    /// exact without touching the output: for channel c, y_c(t) = w_c·p_t (+ b_c, which the norm cancels), so
    /// mean_c = w_c·μ and var_c = w_cᵀ Σ w_c with μ, Σ the mean and (biased) covariance of the window's k·C_in-sized
    /// patches, computed in float64. The norm then folds into the weight and bias: (γ_c·rstd_c)·w_c and
    /// β_c − γ_c·rstd_c·w_c·μ, so the output is written once.</summary>
    private Tensor FoldedGroupNormConv(Tensor input)
    {
        using var scope = NewDisposeScope();
        var norm = (GroupNorm)layer_norm!;
        var x = input.contiguous();
        long batch = x.shape[0];
        var patches = conv.Patches(x);                                      // (B, T, kC) view
        var p64 = patches.to_type(ScalarType.Float64);
        long frames = p64.shape[1];
        var mu = p64.mean(new long[] { 1 }, keepdim: true);                  // (B, 1, kC)
        var centered = p64.Minus(mu);
        var sigma = centered.transpose(1, 2).bmm(centered).DividedByInPlace(frames);   // (B, kC, kC), biased
        var w = conv.PatchWeight().to_type(ScalarType.Float64);             // (kC, O)
        var variance = sigma.matmul(w).Times(w).sum(1);                      // (B, O)
        var mean = mu.matmul(w).squeeze(1);                                  // (B, O), without the conv bias
        var scale = variance.Plus(ConvNormEps).rsqrt().Times(norm.weight!.to_type(ScalarType.Float64));
        var foldedWeight = w.unsqueeze(0).Times(scale.unsqueeze(1)).to_type(ScalarType.Float32);    // (B, kC, O)
        var foldedBias = norm.bias!.to_type(ScalarType.Float64).Minus(mean.Times(scale)).to_type(ScalarType.Float32); // (B, O)
        var flat = patches.contiguous();                                     // im2col copy (overlapping rows)
        return flat.bmm(foldedWeight).PlusInPlace(foldedBias.unsqueeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>GroupNorm(C, C) on channels-last (B, T, C): each channel normalised over the window's own time axis.
    /// Same arithmetic as libtorch's kernel (y = x·(γ·rstd) + (β − mean·γ·rstd), biased variance), without the two
    /// transposed copies that calling it on (B, C, T) needs (measured 5× slower than the conv before it).</summary>
    private static Tensor GroupNormChannelsLast(Tensor x, GroupNorm norm)
    {
        using var scope = NewDisposeScope();
        var (variance, mean) = var_mean(x, new long[] { 1 }, unbiased: false, keepdim: true); // (B, 1, C)
        var scale = variance.Plus(ConvNormEps).rsqrt().Times(norm.weight!);
        var shift = norm.bias!.Minus(mean.Times(scale));
        return shift.AddCMul(x, scale, 1).MoveToOuterDisposeScope();
    }

    /// <summary>(B, T, C_in) → (B, T_out, C_out), both channels-last.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        if (Norm == NormKind.Group && conv.Algorithm != MertConvAlgorithm.Conv1d && (long)conv.Kernel * conv.InChannels <= MaxFoldedPatch)
            return nn.functional.gelu(FoldedGroupNormConv(input)).MoveToOuterDisposeScope();
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
