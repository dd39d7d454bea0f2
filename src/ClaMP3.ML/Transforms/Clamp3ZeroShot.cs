using ClaMP3.ML.Inference;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms;

/// <summary>Options of zero-shot classification: music → the most similar of several label descriptions.</summary>
public sealed class Clamp3ZeroShotOptions
{
    /// <summary>The music side: checkpoint, modality (<see cref="Modality.Symbolic"/> or <see cref="Modality.Audio"/>),
    /// input column, batch size, device, error mode. Its output column name and feature kind are not used.</summary>
    public Clamp3FeaturizerOptions Music { get; set; } = new() { Modality = Modality.Symbolic, InputColumnName = "Music" };
    /// <summary>The class names (the predicted label is one of them).</summary>
    public IReadOnlyList<string> Labels { get; set; } = Array.Empty<string>();
    /// <summary>A text per label that is embedded and compared (any language), e.g. "a lively Irish jig";
    /// null uses the labels themselves.</summary>
    public IReadOnlyList<string>? LabelDescriptions { get; set; }
    /// <summary>Per-label cosine similarities, a vector whose slot names are the labels.</summary>
    public string ScoreColumnName { get; set; } = "Score";
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    internal Clamp3ZeroShotOptions Clone() => new()
    {
        Music = Music.Clone(),
        Labels = Labels.ToArray(),
        LabelDescriptions = LabelDescriptions?.ToArray(),
        ScoreColumnName = ScoreColumnName,
        PredictedLabelColumnName = PredictedLabelColumnName,
    };
}

/// <summary>
/// Zero-shot tagging as the official "music-to-text search": each label description is embedded once as text, every
/// row's music is embedded, and the row gets the cosine similarity to each label and the most similar label.
/// </summary>
public sealed class Clamp3ZeroShotTransformer : BatchedTransformer
{
    private Clamp3ZeroShotTransformer(Clamp3ZeroShotOptions options, BatchMapperBase mapper) : base(mapper) => Options = options;

    public Clamp3ZeroShotOptions Options { get; }

    internal static Clamp3ZeroShotTransformer Create(Clamp3ZeroShotOptions options, Clamp3Embedder? embedder = null)
    {
        options = options.Clone();
        if (options.Labels.Count < 2) throw new ArgumentException("Zero-shot classification needs at least two labels.");
        var descriptions = options.LabelDescriptions ?? options.Labels;
        if (descriptions.Count != options.Labels.Count)
            throw new ArgumentException($"{options.Labels.Count} labels but {descriptions.Count} label descriptions.");
        if (options.Music.Modality == Modality.Text)
            throw new ArgumentException("Zero-shot classification compares music with text: Music.Modality must be Symbolic or Audio.");
        var music = options.Music.Clone();
        music.FeatureKind = FeatureKind.Global;
        music.OutputColumnName = options.ScoreColumnName;
        var featurizer = Clamp3FeaturizerTransformer.Create(music, embedder);
        var labelEmbeddings = featurizer.Embedder.EmbedTexts(descriptions.ToList(), FeatureKind.Global)
            .Select(m => Similarity.Normalize(m.Values)).ToArray();
        var mapper = featurizer.Mapper switch
        {
            BatchMapper<ReadOnlyMemory<char>> text => (BatchMapperBase)new ZeroShotMapper<ReadOnlyMemory<char>>(text, options, labelEmbeddings),
            BatchMapper<VBuffer<float>> vector => new ZeroShotMapper<VBuffer<float>>(vector, options, labelEmbeddings),
            _ => throw new InvalidOperationException("Unexpected featurizer input type."),
        };
        return new Clamp3ZeroShotTransformer(options, mapper);
    }

    /// <summary>Runs the music featurizer, then turns each embedding into label similarities and the best label.</summary>
    private sealed class ZeroShotMapper<TIn> : BatchMapper<TIn>
    {
        private readonly BatchMapper<TIn> _music;
        private readonly string[] _labels;
        private readonly float[][] _labelEmbeddings;

        public ZeroShotMapper(BatchMapper<TIn> music, Clamp3ZeroShotOptions options, float[][] labelEmbeddings)
            : base(music.InputColumnName, music.BatchSize, music.ErrorMode)
        {
            _music = music;
            _labels = options.Labels.ToArray();
            _labelEmbeddings = labelEmbeddings;
            var slotNames = _labels.Select(l => l.AsMemory()).ToArray();
            Outputs = new[]
            {
                new MappedColumn(options.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, _labels.Length),
                    a => a.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, _labels.Length),
                        (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> names) => names = new VBuffer<ReadOnlyMemory<char>>(slotNames.Length, slotNames)))),
                new MappedColumn(options.PredictedLabelColumnName, TextDataViewType.Instance),
            };
        }

        public override IReadOnlyList<MappedColumn> Outputs { get; }
        public override void CheckInputType(DataViewType type) => _music.CheckInputType(type);
        public override TIn Copy(in TIn value) => _music.Copy(value);

        public override void MapBatch(IReadOnlyList<TIn> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
        {
            var embeddings = new object?[inputs.Count][];
            for (int i = 0; i < embeddings.Length; i++) embeddings[i] = new object?[1];
            _music.MapBatch(inputs, rowPositions, embeddings);
            for (int i = 0; i < inputs.Count; i++)
            {
                var music = Similarity.Normalize((float[])embeddings[i][0]!);
                var scores = _labelEmbeddings.Select(l => (float)System.Numerics.Tensors.TensorPrimitives.Dot(music, l)).ToArray();
                int best = 0;
                for (int k = 1; k < scores.Length; k++) if (scores[k] > scores[best]) best = k;
                results[i][0] = scores;
                results[i][1] = _labels[best].AsMemory();
            }
        }

        public override object MissingValue(int outputIndex) =>
            outputIndex == 0 ? Enumerable.Repeat(float.NaN, _labels.Length).ToArray() : ReadOnlyMemory<char>.Empty;
    }
}

/// <summary>The estimator behind <c>mlContext.Transforms.Clamp3ZeroShotClassify</c>.</summary>
public sealed class Clamp3ZeroShotEstimator : BatchedEstimator<Clamp3ZeroShotTransformer>
{
    private readonly Clamp3ZeroShotOptions _options;
    private readonly Clamp3Embedder? _embedder;

    internal Clamp3ZeroShotEstimator(Clamp3ZeroShotOptions options, Clamp3Embedder? embedder)
    {
        _options = options.Clone();
        _embedder = embedder;
    }

    protected override string InputColumnName => _options.Music.InputColumnName;

    protected override Clamp3ZeroShotTransformer CreateTransformer() => Clamp3ZeroShotTransformer.Create(_options, _embedder);

    protected override void CheckInputShape(SchemaShape.Column column) => Clamp3FeaturizerEstimator.CheckMusicColumn(_options.Music, column);
}
