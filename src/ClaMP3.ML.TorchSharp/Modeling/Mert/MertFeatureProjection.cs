using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary><c>MusicHubertFeatureProjection</c> (<c>feature_projection</c>): LayerNorm (if <c>feat_proj_layer_norm</c>)
/// then Linear(C → H). Dropout is inactive in eval.</summary>
public sealed class MertFeatureProjection : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly LayerNorm? layer_norm;
    public readonly Linear projection;
#pragma warning restore IDE1006

    public MertFeatureProjection(MertConfig config) : base("feature_projection")
    {
        int features = config.ConvDim[^1];
        if (config.FeatProjLayerNorm) layer_norm = nn.LayerNorm(new long[] { features }, config.LayerNormEps);
        projection = nn.Linear(features, config.HiddenSize, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (layer_norm is null) return projection.call(input);
        using var normed = layer_norm.call(input);
        return projection.call(normed);
    }
}
