namespace ClaMP3.ML.Inference;

/// <summary>Per-window MERT features of every hidden state: (L, W, H) row-major, L = layers + 1, what
/// extract_mert.py saves without <c>--mean_features</c>.</summary>
public sealed record MertLayerFeatures(float[] Values, int Layers, int Windows, int Hidden)
{
    /// <summary>Length of the 24 kHz audio the features came from (0 when built from windows).</summary>
    public double AudioSeconds { get; init; }

    /// <summary>Mean over the L hidden states → (W, H): what <c>--mean_features</c> saves as (1, W, H).</summary>
    public FeatureMatrix MeanOverLayers()
    {
        // Plain float32 mean over dim 0, like torch's features.mean(dim=0) on a (L, W, H) tensor.
        int plane = Windows * Hidden;
        var mean = new float[plane];
        for (int i = 0; i < plane; i++)
        {
            float sum = 0;
            for (int l = 0; l < Layers; l++) sum += Values[l * plane + i];
            mean[i] = sum / Layers;
        }
        return new FeatureMatrix(mean, Windows, Hidden);
    }
}
