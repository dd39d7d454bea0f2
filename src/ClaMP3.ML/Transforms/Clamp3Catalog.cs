using ClaMP3.ML.Inference;
using Microsoft.ML;

namespace ClaMP3.ML.Transforms;

/// <summary>CLaMP 3 transforms on <c>mlContext.Transforms</c>.</summary>
public static class Clamp3Catalog
{
    /// <summary>Embeds a text column (any of XLM-R's languages) into CLaMP 3's shared space.</summary>
    /// <param name="embedder">A loaded model (<see cref="Clamp3Embedder.Load"/>), shared by every transform given it.</param>
    public static Clamp3FeaturizerEstimator FeaturizeClamp3Text(this TransformsCatalog catalog, Clamp3Embedder embedder,
        string outputColumnName = "Features", string inputColumnName = "Text", int batchSize = 8) =>
        new(Clamp3FeaturizerOptions.For(embedder, Modality.Text, outputColumnName, inputColumnName, batchSize), embedder);

    /// <summary>Embeds a score column: interleaved ABC or MTF text (detected as the official code does).</summary>
    public static Clamp3FeaturizerEstimator FeaturizeClamp3Score(this TransformsCatalog catalog, Clamp3Embedder embedder,
        string outputColumnName = "Features", string inputColumnName = "Music", int batchSize = 8) =>
        new(Clamp3FeaturizerOptions.For(embedder, Modality.Symbolic, outputColumnName, inputColumnName, batchSize), embedder);

    /// <summary>Embeds a column of MERT features (a float vector of rows × 768 values, as the official <c>.npy</c>).</summary>
    public static Clamp3FeaturizerEstimator FeaturizeClamp3Audio(this TransformsCatalog catalog, Clamp3Embedder embedder,
        string outputColumnName = "Features", string inputColumnName = "MertFeatures", int batchSize = 8) =>
        new(Clamp3FeaturizerOptions.For(embedder, Modality.Audio, outputColumnName, inputColumnName, batchSize), embedder);

    /// <summary>The options overload: model paths, modality, global or sequence output, batch size, device, error mode.
    /// Models are loaded once per process and shared (<see cref="Clamp3ModelCache"/>).</summary>
    public static Clamp3FeaturizerEstimator FeaturizeClamp3(this TransformsCatalog catalog, Clamp3FeaturizerOptions options) =>
        new(options, null);
}

/// <summary>Zero-shot classification on <c>mlContext.Transforms</c>.</summary>
public static class Clamp3ZeroShotCatalog
{
    /// <summary>Tags a score column (ABC/MTF) with the label whose description is most similar (cosine), and outputs
    /// every label's similarity. Label descriptions may be in any language.</summary>
    public static Clamp3ZeroShotEstimator Clamp3ZeroShotClassify(this TransformsCatalog catalog, Clamp3Embedder embedder,
        IReadOnlyList<string> labels, IReadOnlyList<string>? labelDescriptions = null, string inputColumnName = "Music",
        Modality musicModality = Modality.Symbolic, string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        return new Clamp3ZeroShotEstimator(new Clamp3ZeroShotOptions
        {
            Music = Clamp3FeaturizerOptions.For(embedder, musicModality, "Features", inputColumnName, batchSize: 8),
            Labels = labels,
            LabelDescriptions = labelDescriptions,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
        }, embedder);
    }

    public static Clamp3ZeroShotEstimator Clamp3ZeroShotClassify(this TransformsCatalog catalog, Clamp3ZeroShotOptions options) =>
        new(options, null);
}
