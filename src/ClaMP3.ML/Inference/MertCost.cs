using ClaMP3.ML.Modeling.Mert;

namespace ClaMP3.ML.Inference;

/// <summary>Floating-point operations of one MERT forward pass (2 per multiply-add; norms, GELU and softmax not
/// counted), for benchmark reports.</summary>
public static class MertCost
{
    /// <summary>FLOPs of each feature-encoder conv layer for a window of <paramref name="samples"/> samples.</summary>
    public static double[] ConvLayerFlops(MertConfig c, long samples)
    {
        var flops = new double[c.NumFeatExtractLayers];
        long t = samples;
        for (int i = 0; i < flops.Length; i++)
        {
            t = (t - c.ConvKernel[i]) / c.ConvStride[i] + 1;
            int inChannels = i == 0 ? 1 : c.ConvDim[i - 1];
            flops[i] = 2.0 * t * c.ConvDim[i] * inChannels * c.ConvKernel[i];
        }
        return flops;
    }

    /// <summary>Total FLOPs for one window of <paramref name="samples"/> samples.</summary>
    public static double WindowFlops(MertConfig c, long samples)
    {
        double t = c.FramesFor(samples), h = c.HiddenSize;
        double conv = ConvLayerFlops(c, samples).Sum();
        double projection = 2 * t * c.ConvDim[^1] * h;
        double posConv = 2 * t * h * (h / c.NumConvPosEmbeddingGroups) * c.NumConvPosEmbeddings;
        double layer = 8 * t * h * h + 4 * t * h * c.IntermediateSize + 4 * t * t * h;
        return conv + projection + posConv + c.NumHiddenLayers * layer;
    }
}
