using ClaMP3.ML.Inference;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms;

/// <summary>
/// Embeds a text, score or audio column with CLaMP 3. Stateless: <c>Fit</c> only
/// checks the schema and loads (or reuses) the model. Rows are embedded in batches of
/// <see cref="Clamp3FeaturizerOptions.BatchSize"/>; single rows work through a PredictionEngine.
/// </summary>
public sealed class Clamp3FeaturizerTransformer : BatchedTransformer
{
    internal Clamp3FeaturizerTransformer(Clamp3FeaturizerOptions options, Clamp3Embedder embedder, MertExtractor? mert)
        : base(CreateMapper(options, embedder, mert))
    {
        Options = options;
        Embedder = embedder;
    }

    /// <summary>A copy of the options this transformer was made with (what <c>Clamp3ModelFile</c> saves).</summary>
    public Clamp3FeaturizerOptions Options { get; }
    public Clamp3Embedder Embedder { get; }

    /// <summary>Size of the output vector for global features.</summary>
    public int GlobalDimension => Embedder.GlobalDimension;

    internal static Clamp3FeaturizerTransformer Create(Clamp3FeaturizerOptions options, Clamp3Embedder? embedder = null)
    {
        options = options.Clone();
        if (embedder == null)
        {
            if (string.IsNullOrWhiteSpace(options.CheckpointPath))
                throw new ArgumentException("Clamp3FeaturizerOptions.CheckpointPath is required (the CLaMP 3 .pth checkpoint).");
            embedder = Clamp3ModelCache.GetEmbedder(options.ToEmbedderOptions());
        }
        MertExtractor? mert = options.Modality == Modality.Audio && !string.IsNullOrEmpty(options.MertModelPath)
            ? Clamp3ModelCache.GetMertExtractor(options.MertModelPath!, options.Device)
            : null;
        var transformer = new Clamp3FeaturizerTransformer(options, embedder, mert);
        if (options.OnWarning != null) transformer.Mapper.Warn = options.OnWarning;
        return transformer;
    }

    private static BatchMapperBase CreateMapper(Clamp3FeaturizerOptions options, Clamp3Embedder embedder, MertExtractor? mert) =>
        options.Modality == Modality.Audio && mert == null
            ? new Clamp3AudioFeatureMapper(options, embedder)
            : new Clamp3StringFeaturizerMapper(options, embedder, mert);
}

/// <summary>The estimator behind <c>mlContext.Transforms.FeaturizeClamp3Text/Score/Audio</c>.</summary>
public sealed class Clamp3FeaturizerEstimator : BatchedEstimator<Clamp3FeaturizerTransformer>
{
    private readonly Clamp3FeaturizerOptions _options;
    private readonly Clamp3Embedder? _embedder;

    internal Clamp3FeaturizerEstimator(Clamp3FeaturizerOptions options, Clamp3Embedder? embedder)
    {
        _options = options.Clone();
        _embedder = embedder;
    }

    protected override string InputColumnName => _options.InputColumnName;

    protected override Clamp3FeaturizerTransformer CreateTransformer() => Clamp3FeaturizerTransformer.Create(_options, _embedder);

    protected override void CheckInputShape(SchemaShape.Column column) => CheckMusicColumn(_options, column);

    /// <summary>Text for text, scores and audio paths; a float vector for MERT features.</summary>
    internal static void CheckMusicColumn(Clamp3FeaturizerOptions options, SchemaShape.Column column)
    {
        bool wantsText = options.Modality != Modality.Audio || !string.IsNullOrEmpty(options.MertModelPath);
        bool isText = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is TextDataViewType;
        bool isFloatVector = column.Kind != SchemaShape.Column.VectorKind.Scalar && column.ItemType.RawType == typeof(float);
        if (wantsText && !isText)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must be a text column for {options.Modality} input.");
        if (!wantsText && !isFloatVector)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must be a float vector of MERT features.");
    }
}
