using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertFeatureEncoder</c> (<c>feature_extractor</c>): the strided CNN from raw samples to frames.
/// Output is (B, T, C) = HF's <c>extract_features</c> after its <c>transpose(1, 2)</c>.</summary>
internal sealed class MertFeatureEncoder : nn.Module<Tensor, Action<int, Tensor>?, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly ModuleList<MertFeatureEncoderLayer> conv_layers;
#pragma warning restore IDE1006

    public MertFeatureEncoder(MertConfig config) : base("feature_extractor")
    {
        conv_layers = new ModuleList<MertFeatureEncoderLayer>();
        for (int i = 0; i < config.NumFeatExtractLayers; i++)
        {
            var norm = config.FeatExtractNorm == "layer" ? MertFeatureEncoderLayer.NormKind.Layer
                : i == 0 ? MertFeatureEncoderLayer.NormKind.Group
                : MertFeatureEncoderLayer.NormKind.None;
            conv_layers.Add(new MertFeatureEncoderLayer(i == 0 ? 1 : config.ConvDim[i - 1], config.ConvDim[i],
                config.ConvKernel[i], config.ConvStride[i], config.ConvBias, norm));
        }
        RegisterComponents();
    }

    /// <summary>The convolution algorithm of every layer (<see cref="MertConvAlgorithm.Auto"/>: per device).</summary>
    public MertConvAlgorithm ConvAlgorithm
    {
        get => conv_layers.Count == 0 ? MertConvAlgorithm.Auto : conv_layers[0].conv.Algorithm;
        set
        {
            foreach (var layer in conv_layers) layer.conv.Algorithm = value;
        }
    }

#pragma warning disable IDE1006 // TorchSharp's name: an overload of call for the optional input left out, as EmbeddingBag.call(input)
    /// <summary><c>call(input, null)</c>: the features without a per-layer observer.</summary>
    public Tensor call(Tensor input) => call(input, null);
#pragma warning restore IDE1006

    /// <summary>(B, N) samples → (B, T, C_last). <paramref name="onLayer"/>, when given, sees every conv layer's
    /// (B, T_i, C_i) output, each valid only during the call.</summary>
    public override Tensor forward(Tensor input, Action<int, Tensor>? onLayer)
    {
        if (input.dim() != 2)
            throw new ArgumentException($"the feature encoder expects (batch, samples), got ({string.Join(", ", input.shape)}).");
        Tensor x = input.unsqueeze(-1); // (B, N, 1): channels-last with one channel
        for (int i = 0; i < conv_layers.Count; i++)
        {
            Tensor next;
            using (var scope = NewDisposeScope()) // one scope per layer: only the current activations stay alive
            {
                next = conv_layers[i].call(x);
                onLayer?.Invoke(i, next);
                next.MoveToOuterDisposeScope();
            }
            x.Dispose();
            x = next;
        }
        return x;
    }
}
