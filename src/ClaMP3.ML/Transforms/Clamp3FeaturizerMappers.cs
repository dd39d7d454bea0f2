using ClaMP3.ML.Inference;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms;

/// <summary>Column layout shared by the CLaMP 3 featurizer mappers.</summary>
internal static class Clamp3FeatureColumns
{
    /// <summary>Annotation on sequence outputs: values per position (the encoder's hidden size).</summary>
    public const string SequenceWidthAnnotation = "SequenceWidth";

    public static MappedColumn Output(Clamp3FeaturizerOptions options, Clamp3Embedder embedder)
    {
        if (options.FeatureKind == FeatureKind.Global)
            return new MappedColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, embedder.GlobalDimension));
        int width = options.Modality switch
        {
            Modality.Text => embedder.Config.Text.HiddenSize,
            Modality.Symbolic => embedder.Config.Symbolic.HiddenSize,
            _ => embedder.Config.Audio.HiddenSize,
        };
        return new MappedColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single),
            a => a.Add(SequenceWidthAnnotation, NumberDataViewType.Int32, (ref int value) => value = width));
    }

    /// <summary>Errors that belong to one row's content (bad text, unreadable file) rather than to the model.</summary>
    public static bool IsRowProblem(Exception e) =>
        e is ArgumentException or InvalidDataException or FormatException or IOException or UnauthorizedAccessException
            or Preprocessing.ConversionRejectedException or Preprocessing.Audio.AudioTooShortException;
}

/// <summary>Text, score (ABC/MTF) or audio-file-path column → CLaMP 3 features.</summary>
internal sealed class Clamp3StringFeaturizerMapper : BatchMapper<ReadOnlyMemory<char>>
{
    private readonly Clamp3FeaturizerOptions _options;
    private readonly Clamp3Embedder _embedder;
    private readonly MertExtractor? _mert;

    public Clamp3StringFeaturizerMapper(Clamp3FeaturizerOptions options, Clamp3Embedder embedder, MertExtractor? mert)
        : base(options.InputColumnName, options.BatchSize, options.ErrorMode)
    {
        _options = options;
        _embedder = embedder;
        _mert = mert;
        Outputs = new[] { Clamp3FeatureColumns.Output(options, embedder) };
    }

    public override IReadOnlyList<MappedColumn> Outputs { get; }

    public override void CheckInputType(DataViewType type)
    {
        if (type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(type),
                $"Column '{InputColumnName}' must be text ({Describe()}), not {type}.");
    }

    private string Describe() => _options.Modality switch
    {
        Modality.Text => "the text to embed",
        Modality.Symbolic => "ABC or MTF",
        _ => "audio file paths",
    };

    public override ReadOnlyMemory<char> Copy(in ReadOnlyMemory<char> value) => value.ToArray();

    public override void MapBatch(IReadOnlyList<ReadOnlyMemory<char>> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
    {
        var strings = inputs.Select(s => s.ToString()).ToList();
        IReadOnlyList<FeatureMatrix> features;
        try
        {
            features = _options.Modality switch
            {
                Modality.Text => _embedder.EmbedTexts(strings, _options.FeatureKind),
                Modality.Symbolic => _embedder.EmbedScores(strings, _options.FeatureKind),
                _ => _embedder.EmbedAudioFeaturesBatch(strings.Select(ExtractMert).ToList(), _options.FeatureKind),
            };
        }
        catch (Exception e) when (Clamp3FeatureColumns.IsRowProblem(e))
        {
            throw new RowMappingException(e.Message, e);
        }
        for (int i = 0; i < features.Count; i++) results[i][0] = features[i].Values;
    }

    private FeatureMatrix ExtractMert(string path)
    {
        if (_mert == null) throw new InvalidOperationException("Audio paths need Clamp3FeaturizerOptions.MertModelPath.");
        if (!File.Exists(path)) throw new FileNotFoundException($"Audio file not found: {path}", path);
        return _mert.ExtractFromFile(path);
    }

    public override object MissingValue(int outputIndex) => Clamp3FeaturizerMapperDefaults.Missing(_options, _embedder);
}

/// <summary>MERT feature vectors (rows × audio hidden size, row-major) → CLaMP 3 audio features.</summary>
internal sealed class Clamp3AudioFeatureMapper : BatchMapper<VBuffer<float>>
{
    private readonly Clamp3FeaturizerOptions _options;
    private readonly Clamp3Embedder _embedder;
    private readonly int _width;

    public Clamp3AudioFeatureMapper(Clamp3FeaturizerOptions options, Clamp3Embedder embedder)
        : base(options.InputColumnName, options.BatchSize, options.ErrorMode)
    {
        _options = options;
        _embedder = embedder;
        _width = embedder.Config.AudioFeatureDim;
        Outputs = new[] { Clamp3FeatureColumns.Output(options, embedder) };
    }

    public override IReadOnlyList<MappedColumn> Outputs { get; }

    public override void CheckInputType(DataViewType type)
    {
        if (type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(type),
                $"Column '{InputColumnName}' must be a float vector of MERT features (rows × {_width}), not {type}. " +
                "To embed audio files, give a text column of paths and set MertModelPath.");
        if (vector.IsKnownSize && vector.Size % _width != 0)
            throw new ArgumentOutOfRangeException(nameof(type),
                $"Column '{InputColumnName}' has {vector.Size} values per row, not a multiple of the audio feature width {_width}.");
    }

    public override VBuffer<float> Copy(in VBuffer<float> value)
    {
        VBuffer<float> copy = default;
        value.CopyTo(ref copy);
        return copy;
    }

    public override void MapBatch(IReadOnlyList<VBuffer<float>> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
    {
        var matrices = new List<FeatureMatrix>(inputs.Count);
        foreach (var input in inputs)
        {
            if (input.Length == 0 || input.Length % _width != 0)
                throw new RowMappingException($"{input.Length} MERT values is not a positive multiple of the audio feature width {_width}.");
            var values = new float[input.Length];
            input.CopyTo(values);
            matrices.Add(new FeatureMatrix(values, input.Length / _width, _width));
        }
        IReadOnlyList<FeatureMatrix> features;
        try
        {
            features = _embedder.EmbedAudioFeaturesBatch(matrices, _options.FeatureKind);
        }
        catch (Exception e) when (Clamp3FeatureColumns.IsRowProblem(e))
        {
            throw new RowMappingException(e.Message, e);
        }
        for (int i = 0; i < features.Count; i++) results[i][0] = features[i].Values;
    }

    public override object MissingValue(int outputIndex) => Clamp3FeaturizerMapperDefaults.Missing(_options, _embedder);
}

internal static class Clamp3FeaturizerMapperDefaults
{
    /// <summary>ML.NET's missing value for floats is NaN: a global vector of NaNs, or an empty sequence.</summary>
    public static float[] Missing(Clamp3FeaturizerOptions options, Clamp3Embedder embedder) =>
        options.FeatureKind == FeatureKind.Global
            ? Enumerable.Repeat(float.NaN, embedder.GlobalDimension).ToArray()
            : Array.Empty<float>();
}
