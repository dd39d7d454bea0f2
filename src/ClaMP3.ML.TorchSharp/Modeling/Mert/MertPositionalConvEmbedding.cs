using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertPositionalConvEmbedding</c> (<c>encoder.pos_conv_embed</c>): a grouped, weight-normed conv
/// over time, same padding, the last frame dropped when the kernel is even (<c>HubertSamePadLayer</c>), then GELU.</summary>
public sealed class MertPositionalConvEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly WeightNormConv1d conv;
#pragma warning restore IDE1006

    public MertPositionalConvEmbedding(MertConfig config) : base("pos_conv_embed")
    {
        conv = new WeightNormConv1d(config.HiddenSize, config.NumConvPosEmbeddings, config.NumConvPosEmbeddingGroups);
        RegisterComponents();
    }

    /// <summary>(B, T, H) → (B, T, H): the branch that the encoder adds to its input.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = conv.call(input.transpose(1, 2));           // (B, H, T + 1 − K % 2)
        if (conv.Kernel % 2 == 0) y = y.narrow(2, 0, y.shape[2] - 1);
        return nn.functional.gelu(y).transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary><c>nn.utils.weight_norm(nn.Conv1d(H, H, K, padding=K // 2, groups=G), name="weight", dim=2)</c>:
    /// weight = weight_v · weight_g / ‖weight_v‖, the norm taken over dims 0 and 1 for each kernel tap.</summary>
    public sealed class WeightNormConv1d : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // HF state-dict names
        public readonly Parameter bias;
        public readonly Parameter weight_g;
        public readonly Parameter weight_v;
#pragma warning restore IDE1006

        public int Channels { get; }
        public int Kernel { get; }
        public int Groups { get; }

        public WeightNormConv1d(int channels, int kernel, int groups) : base("conv")
        {
            Channels = channels;
            Kernel = kernel;
            Groups = groups;
            bias = new Parameter(zeros(channels), requires_grad: false);
            weight_g = new Parameter(ones(1, 1, kernel), requires_grad: false);
            weight_v = new Parameter(zeros(channels, channels / groups, kernel), requires_grad: false);
            RegisterComponents();
        }

        /// <summary>The effective convolution weight [H, H/G, K].</summary>
        public Tensor Weight()
        {
            using var norm = weight_v.square().sum(new long[] { 0, 1 }, keepdim: true).sqrt(); // torch._weight_norm(v, g, 2)
            using var scale = weight_g.DividedBy(norm);
            return weight_v.Times(scale);
        }

        public override Tensor forward(Tensor input)
        {
            using var w = Weight();
            return nn.functional.conv1d(input, w, bias, padding: Kernel / 2, groups: Groups);
        }
    }
}
