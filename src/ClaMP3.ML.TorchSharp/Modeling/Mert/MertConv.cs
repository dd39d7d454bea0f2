using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>The <c>conv</c> of one feature-encoder layer: <c>nn.Conv1d(C_in, C_out, k, stride=s, bias=conv_bias)</c>
/// with HF parameter names and layout (<c>weight</c> [C_out, C_in, k]), computed channels-last.</summary>
/// <remarks>Two algorithms, chosen per device (<see cref="Algorithm"/>, measured by <c>clamp3 bench mert</c>): on CPU
/// libtorch's strided 1-D convolution over long signals is much slower than one matrix product, so the conv is a GEMM:
/// with the input channels-last (B, T, C), the k taps of output frame t are the k·C consecutive floats that start at
/// t·s·C, so the patches are one strided view of the input and the convolution is a GEMM against the weight reordered
/// to [C_out, k·C_in]. On CUDA the GEMM's im2col copy costs more than cuDNN's convolution (the GEMM convs ran at 0.52×
/// conv1d on an H200), so there it is <c>conv1d</c>.</remarks>
public sealed class MertConv : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly Parameter weight;
    public readonly Parameter? bias;
#pragma warning restore IDE1006

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }

    /// <summary>How the convolution is computed; <see cref="MertConvAlgorithm.Auto"/> picks per device.</summary>
    public MertConvAlgorithm Algorithm { get; set; } = MertConvAlgorithm.Auto;

    /// <summary>The algorithm <see cref="Algorithm"/> resolves to on a device: Auto is the GEMM on CPU (and any
    /// device without cuDNN) and <c>conv1d</c> on CUDA.</summary>
    public static MertConvAlgorithm Resolve(MertConvAlgorithm algorithm, DeviceType device) => algorithm switch
    {
        MertConvAlgorithm.Auto => device == DeviceType.CUDA ? MertConvAlgorithm.Conv1d : MertConvAlgorithm.Gemm,
        _ => algorithm,
    };

    public MertConv(int inChannels, int outChannels, int kernel, int stride, bool hasBias) : base("conv")
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        weight = new Parameter(zeros(outChannels, inChannels, kernel), requires_grad: false);
        if (hasBias) bias = new Parameter(zeros(outChannels), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>(B, T, C_in) channels-last → (B, T_out, C_out) channels-last, T_out = (T − k) / s + 1.</summary>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 3 || input.shape[2] != InChannels)
            throw new ArgumentException($"conv expects (batch, time, {InChannels}), got ({string.Join(", ", input.shape)}).");
        long batch = input.shape[0], time = input.shape[1];
        if (time < Kernel)
            throw new ArgumentException($"conv with kernel {Kernel} needs at least {Kernel} frames, got {time}.");
        long outTime = (time - Kernel) / Stride + 1;

        if (Resolve(Algorithm, input.device_type) == MertConvAlgorithm.Conv1d)
        {
            using var cf = input.transpose(1, 2);
            using var y = nn.functional.conv1d(cf, weight, bias, stride: Stride);
            return y.transpose(1, 2).contiguous();
        }

        using var x = input.contiguous();
        using var patches = Patches(x);
        using var w = PatchWeight();
        using var flat = patches.reshape(batch * outTime, (long)Kernel * InChannels); // im2col copy (overlapping rows)
        using var y2 = bias is null ? flat.matmul(w) : addmm(bias, flat, w, 1f, 1f);
        return y2.view(batch, outTime, OutChannels);
    }

    /// <summary>The receptive fields of a contiguous channels-last input as a view (B, T_out, k·C_in): frame t reads
    /// x[b, t·s .. t·s+k−1, :], which is k·C consecutive floats.</summary>
    internal Tensor Patches(Tensor contiguousInput)
    {
        long batch = contiguousInput.shape[0], time = contiguousInput.shape[1];
        long outTime = (time - Kernel) / Stride + 1;
        return contiguousInput.as_strided(new[] { batch, outTime, (long)Kernel * InChannels },
            new[] { time * InChannels, (long)Stride * InChannels, 1L });
    }

    /// <summary>The weight as [k·C_in, C_out], tap-major, matching the patch layout.</summary>
    internal Tensor PatchWeight() => weight.permute(2, 1, 0).reshape((long)Kernel * InChannels, OutChannels);
}

/// <summary>How <see cref="MertConv"/> computes its convolution.</summary>
public enum MertConvAlgorithm
{
    /// <summary>Per device: <see cref="Gemm"/> on CPU, <see cref="Conv1d"/> on CUDA (what was measured faster).</summary>
    Auto,
    /// <summary>Channels-last im2col view and one matrix product.</summary>
    Gemm,
    /// <summary>libtorch's <c>conv1d</c> (cuDNN on CUDA).</summary>
    Conv1d,
}
