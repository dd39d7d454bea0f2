using ClaMP3.ML.Inference;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Training;

/// <summary>Options of <see cref="Clamp3ContrastiveTrainer"/>: the training recipe plus the IDataView columns.</summary>
public sealed class Clamp3ContrastiveTrainerOptions
{
    public Clamp3TrainerOptions Training { get; set; } = new();
    /// <summary>String column of texts.</summary>
    public string TextColumnName { get; set; } = "Text";
    /// <summary>Symbolic stage: string column of ABC (interleaved) or MTF; audio stage: float vector column of MERT rows × 768.</summary>
    public string MusicColumnName { get; set; } = "Music";
    /// <summary>Optional string column naming each row in logs.</summary>
    public string? IdColumnName { get; set; }
    public string TextFeaturesColumnName { get; set; } = "TextFeatures";
    public string MusicFeaturesColumnName { get; set; } = "MusicFeatures";
    public IProgress<TrainingProgress>? Progress { get; set; }
    public Action<string>? Log { get; set; }
    public CancellationToken CancellationToken { get; set; }
}

/// <summary>
/// An ML.NET estimator (over the plain loop <see cref="Clamp3TrainingLoop"/>) that fine-tunes (or trains) CLaMP 3 contrastively on text–music rows and returns the CLaMP 3
/// featurizers (text, then score or MERT features) over the trained weights. The trained checkpoint (official format) stays
/// in <see cref="Clamp3TrainerOptions.OutputDirectory"/>; the returned chain saves with <see cref="Clamp3ModelFile"/>.
/// </summary>
public sealed class Clamp3ContrastiveTrainer : IEstimator<TransformerChain<Clamp3FeaturizerTransformer>>
{
    private readonly MLContext _context;
    private readonly Clamp3ContrastiveTrainerOptions _options;

    public Clamp3ContrastiveTrainer(MLContext context, Clamp3ContrastiveTrainerOptions options)
    {
        this._context = context ?? throw new ArgumentNullException(nameof(context));
        this._options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The last <see cref="Fit"/>'s run (losses, checkpoints, skipped rows).</summary>
    public Clamp3TrainingResult? LastResult { get; private set; }
    /// <summary>The weights file the returned featurizers load (a copy of <c>best.pth</c> with a unique name, so the
    /// process-wide model cache never hands out the weights of an earlier fit).</summary>
    public string? TrainedCheckpointPath { get; private set; }

    public TransformerChain<Clamp3FeaturizerTransformer> Fit(IDataView input)
    {
        var t = _options.Training;
        var pairs = ReadPairs(input);
        LastResult = Clamp3TrainingLoop.Train(pairs, t, null, _options.Progress, _options.Log, _options.CancellationToken);
        TrainedCheckpointPath = Path.Combine(t.OutputDirectory, $"trained-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}.pth");
        File.Copy(LastResult.BestCheckpoint, TrainedCheckpointPath);
        return Featurizers().Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => Featurizers().GetOutputSchema(inputSchema);

    private EstimatorChain<Clamp3FeaturizerTransformer> Featurizers()
    {
        var t = _options.Training;
        Clamp3FeaturizerOptions Make(Modality m, string input, string output) => new()
        {
            CheckpointPath = TrainedCheckpointPath ?? t.CheckpointPath ?? "",
            ConfigPath = TrainedCheckpointPath is not null ? Path.Combine(t.OutputDirectory, "config.json") : t.ConfigPath,
            TokenizerPath = t.TokenizerPath,
            Device = t.Device,
            Modality = m,
            InputColumnName = input,
            OutputColumnName = output,
        };
        var music = t.MusicModality == Modality.Audio ? Modality.Audio : Modality.Symbolic;
        return new EstimatorChain<Clamp3FeaturizerTransformer>()
            .Append(_context.Transforms.FeaturizeClamp3(Make(Modality.Text, _options.TextColumnName, _options.TextFeaturesColumnName)))
            .Append(_context.Transforms.FeaturizeClamp3(Make(music, _options.MusicColumnName, _options.MusicFeaturesColumnName)));
    }

    /// <summary>The config training will use (<see cref="Clamp3ConfigResolver.ResolveConfig"/> of the weights it starts from).</summary>
    internal static Clamp3Config ResolveConfig(Clamp3TrainerOptions t) =>
        Clamp3ConfigResolver.ResolveConfig(t.ResumeFrom ?? t.CheckpointPath, t.ConfigPath); // = t.ModelSource's config

    private List<TrainingPair> ReadPairs(IDataView input)
    {
        var schema = input.Schema;
        DataViewSchema.Column Col(string name) => schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The training data has no column '{name}'.");
        var textCol = Col(_options.TextColumnName);
        var musicCol = Col(_options.MusicColumnName);
        var idCol = _options.IdColumnName is null ? (DataViewSchema.Column?)null : Col(_options.IdColumnName);
        bool audio = _options.Training.MusicModality == Modality.Audio;
        if (textCol.Type is not TextDataViewType) throw new ArgumentException($"Column '{textCol.Name}' must be text, got {textCol.Type}.");
        if (!audio && musicCol.Type is not TextDataViewType) throw new ArgumentException($"Column '{musicCol.Name}' must be text (ABC or MTF) for the symbolic stage, got {musicCol.Type}.");
        if (audio && (musicCol.Type is not VectorDataViewType v || v.ItemType != NumberDataViewType.Single))
            throw new ArgumentException($"Column '{musicCol.Name}' must be a float vector (MERT rows × 768) for the audio stage, got {musicCol.Type}.");
        var pairs = new List<TrainingPair>();
        var columns = new List<DataViewSchema.Column> { textCol, musicCol };
        if (idCol is { } ic) columns.Add(ic);
        using var cursor = input.GetRowCursor(columns);
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(textCol);
        var getId = idCol is { } c ? cursor.GetGetter<ReadOnlyMemory<char>>(c) : null;
        var getScore = audio ? null : cursor.GetGetter<ReadOnlyMemory<char>>(musicCol);
        var getAudio = audio ? cursor.GetGetter<VBuffer<float>>(musicCol) : null;
        ReadOnlyMemory<char> text = default, score = default, id = default;
        VBuffer<float> features = default;
        long row = 0;
        int dim = audio ? ResolveConfig(_options.Training).AudioFeatureDim : 0;
        while (cursor.MoveNext())
        {
            getText(ref text);
            string name = row.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (getId is not null) { getId(ref id); name = id.ToString(); }
            if (audio)
            {
                getAudio!(ref features);
                var values = features.DenseValues().ToArray();
                if (values.Length == 0 || values.Length % dim != 0)
                {
                    _options.Log?.Invoke($"row {name}: {values.Length} MERT values is not a positive multiple of {dim}; skipped");
                    pairs.Add(new TrainingPair(name, text.ToString()));
                }
                else pairs.Add(new TrainingPair(name, text.ToString(), AudioFeatures: new[] { new FeatureMatrix(values, values.Length / dim, dim) }));
            }
            else
            {
                getScore!(ref score);
                pairs.Add(new TrainingPair(name, text.ToString(), Scores: new[] { score.ToString() }));
            }
            row++;
        }
        return pairs;
    }
}

/// <summary><c>mlContext.Transforms.TrainClamp3(options)</c>.</summary>
public static class Clamp3TrainingCatalog
{
    public static Clamp3ContrastiveTrainer TrainClamp3(this TransformsCatalog catalog, Clamp3ContrastiveTrainerOptions options) =>
        new(GetContext(catalog), options);

    private static MLContext GetContext(TransformsCatalog catalog)
    {
        // TransformsCatalog keeps its environment internal; an MLContext of its own is equivalent for these transforms.
        return new MLContext();
    }
}
