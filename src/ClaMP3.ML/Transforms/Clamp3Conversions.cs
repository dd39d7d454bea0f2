using System.Text;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms;

/// <summary>What a conversion transform does to each row.</summary>
public enum Clamp3ConversionKind
{
    /// <summary>A column of file paths through an <see cref="IFileConverter"/> (midi2mtf, xml2abc, xml2interleaved, …)
    /// into a text column holding the converted file.</summary>
    File,
    /// <summary>A column of standard ABC text into interleaved ABC (abctoolkit's rules), in memory.</summary>
    AbcText,
    /// <summary>A column of audio file paths into MERT features (rows × MERT hidden size, row-major).</summary>
    MertFeatures,
}

/// <summary>Options of a conversion transform (see the catalog methods on <c>mlContext.Transforms</c>).</summary>
public sealed class Clamp3ConversionOptions
{
    public Clamp3ConversionKind Kind { get; set; } = Clamp3ConversionKind.File;
    /// <summary>For <see cref="Clamp3ConversionKind.File"/>: the converter's name as <c>clamp3 convert</c> lists it.</summary>
    public string? ConverterName { get; set; }
    /// <summary>MIDI → MTF as <c>--m3_compatible</c> (what CLaMP 3 was trained on).</summary>
    public bool M3Compatible { get; set; } = true;
    /// <summary>ABC → interleaved: rewrite tunes the official script rejects (no <c>V:1</c> line, named voices) with our
    /// plain-ABC addition (a warning marks each); false gives the official outcomes exactly.</summary>
    public bool AcceptPlainAbc { get; set; } = true;
    /// <summary>For <see cref="Clamp3ConversionKind.MertFeatures"/>: the MERT-v1-95M folder.</summary>
    public string? MertModelPath { get; set; }
    public string Device { get; set; } = "cpu";
    public string InputColumnName { get; set; } = "Path";
    public string OutputColumnName { get; set; } = "Music";
    /// <summary>Rows converted together (in parallel for file converters, as one batch of windows for MERT).</summary>
    public int BatchSize { get; set; } = 16;
    public RowErrorMode ErrorMode { get; set; } = RowErrorMode.Throw;
    [System.Text.Json.Serialization.JsonIgnore]
    public Action<string>? OnWarning { get; set; }

    internal Clamp3ConversionOptions Clone() => (Clamp3ConversionOptions)MemberwiseClone();
}

/// <summary>Converts a column row by row (MIDI → MTF, MusicXML → interleaved ABC, ABC → interleaved ABC, audio → MERT),
/// so that a pipeline reads raw files and embeds them. Bad rows fail with the row and the file named, or become
/// missing values with a warning (<see cref="RowErrorMode.MissingValue"/>).</summary>
public sealed class Clamp3ConversionTransformer : BatchedTransformer
{
    private Clamp3ConversionTransformer(Clamp3ConversionOptions options, BatchMapperBase mapper) : base(mapper) => Options = options;

    public Clamp3ConversionOptions Options { get; }

    internal static Clamp3ConversionTransformer Create(Clamp3ConversionOptions options)
    {
        options = options.Clone();
        BatchMapperBase mapper = options.Kind switch
        {
            Clamp3ConversionKind.File => new FileMapper(options, FindConverter(options.ConverterName)),
            Clamp3ConversionKind.AbcText => new AbcTextMapper(options),
            Clamp3ConversionKind.MertFeatures => new MertMapper(options, Clamp3ModelCache.GetMertExtractor(
                options.MertModelPath ?? throw new ArgumentException("MertModelPath is required to extract MERT features."), options.Device)),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown conversion kind."),
        };
        if (options.OnWarning != null) mapper.Warn = options.OnWarning;
        return new Clamp3ConversionTransformer(options, mapper);
    }

    private static IFileConverter FindConverter(string? name)
    {
        var all = FileConverterRegistry.Discover();
        return all.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException(
            $"No file converter named '{name}'. Available: {string.Join(", ", all.Select(c => c.Name))}" +
            (name?.StartsWith("xml2", StringComparison.Ordinal) == true ? " (the MusicXML converters live in ClaMP3.ML.MusicXml: reference that package)." : "."));
    }

    private abstract class TextOutputMapper : BatchMapper<ReadOnlyMemory<char>>
    {
        protected TextOutputMapper(Clamp3ConversionOptions options) : base(options.InputColumnName, options.BatchSize, options.ErrorMode)
        {
            Outputs = new[] { new MappedColumn(options.OutputColumnName, TextDataViewType.Instance) };
        }

        public override IReadOnlyList<MappedColumn> Outputs { get; }
        public override ReadOnlyMemory<char> Copy(in ReadOnlyMemory<char> value) => value.ToArray();
        public override object MissingValue(int outputIndex) => ReadOnlyMemory<char>.Empty;

        public override void CheckInputType(DataViewType type)
        {
            if (type is not TextDataViewType)
                throw new ArgumentOutOfRangeException(nameof(type), $"Column '{InputColumnName}' must be text, not {type}.");
        }

        /// <summary>Rows are independent: convert them in parallel; a failed row is handled alone.</summary>
        public override void MapBatch(IReadOnlyList<ReadOnlyMemory<char>> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
        {
            var errors = new RowMappingException?[inputs.Count];
            Parallel.For(0, inputs.Count, i =>
            {
                try
                {
                    results[i][0] = (ReadOnlyMemory<char>)ConvertOne(inputs[i].ToString()).AsMemory();
                }
                catch (Exception e) when (Clamp3FeatureColumns.IsRowProblem(e) || e is InvalidOperationException)
                {
                    errors[i] = new RowMappingException(e.Message, e);
                }
            });
            for (int i = 0; i < inputs.Count; i++)
                if (errors[i] != null) results[i] = HandleBadRow(rowPositions[i], errors[i]!);
        }

        protected abstract string ConvertOne(string input);
    }

    private sealed class FileMapper : TextOutputMapper
    {
        private readonly IFileConverter _converter;
        private readonly ConverterOptions _converterOptions;

        public FileMapper(Clamp3ConversionOptions options, IFileConverter converter) : base(options)
        {
            _converter = converter;
            _converterOptions = new ConverterOptions(options.M3Compatible, options.AcceptPlainAbc);
        }

        protected override string ConvertOne(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
            try
            {
                var converted = _converter.Convert(path, _converterOptions);
                if (converted.Extension is not (".mtf" or ".abc"))
                    throw new InvalidOperationException($"{_converter.Name} writes binary {converted.Extension} files, not text.");
                foreach (var warning in converted.Warnings) Warn($"{path}: {warning}");
                return new UTF8Encoding(false, true).GetString(converted.Content);
            }
            catch (ConversionRejectedException e)
            {
                throw new ConversionRejectedException($"{path}: {e.Message}", e);
            }
        }
    }

    private sealed class AbcTextMapper : TextOutputMapper
    {
        private readonly bool _acceptPlainAbc;

        public AbcTextMapper(Clamp3ConversionOptions options) : base(options) => _acceptPlainAbc = options.AcceptPlainAbc;

        protected override string ConvertOne(string abc)
        {
            var result = AbcInterleaver.Convert(abc, _acceptPlainAbc);
            foreach (var warning in result.Warnings.Where(w => w.StartsWith(AbcInterleaver.PlainAbcWarningPrefix, StringComparison.Ordinal)))
                Warn(warning);
            return result.Text;
        }
    }

    /// <summary>Audio file paths → MERT features, as <c>extract_mert.py --mean_features</c>.</summary>
    private sealed class MertMapper : BatchMapper<ReadOnlyMemory<char>>
    {
        private readonly MertExtractor _mert;

        public MertMapper(Clamp3ConversionOptions options, MertExtractor mert) : base(options.InputColumnName, options.BatchSize, options.ErrorMode)
        {
            _mert = mert;
            int width = mert.HiddenSize;
            Outputs = new[]
            {
                new MappedColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single),
                    a => a.Add(Clamp3FeatureColumns.SequenceWidthAnnotation, NumberDataViewType.Int32, (ref int value) => value = width)),
            };
        }

        public override IReadOnlyList<MappedColumn> Outputs { get; }
        public override ReadOnlyMemory<char> Copy(in ReadOnlyMemory<char> value) => value.ToArray();
        public override object MissingValue(int outputIndex) => Array.Empty<float>();

        public override void CheckInputType(DataViewType type)
        {
            if (type is not TextDataViewType)
                throw new ArgumentOutOfRangeException(nameof(type), $"Column '{InputColumnName}' must hold audio file paths (text), not {type}.");
        }

        public override void MapBatch(IReadOnlyList<ReadOnlyMemory<char>> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                string path = inputs[i].ToString();
                try
                {
                    if (!File.Exists(path)) throw new FileNotFoundException($"audio file not found: {path}", path);
                    results[i][0] = _mert.ExtractFromFile(path).Values;
                }
                catch (Exception e) when (Clamp3FeatureColumns.IsRowProblem(e))
                {
                    results[i] = HandleBadRow(rowPositions[i], new RowMappingException(e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}", e));
                }
            }
        }
    }
}

/// <summary>The estimator behind the conversion catalog methods (stateless: <c>Fit</c> only checks the schema).</summary>
public sealed class Clamp3ConversionEstimator : BatchedEstimator<Clamp3ConversionTransformer>
{
    private readonly Clamp3ConversionOptions _options;

    internal Clamp3ConversionEstimator(Clamp3ConversionOptions options) => _options = options.Clone();

    protected override string InputColumnName => _options.InputColumnName;

    protected override Clamp3ConversionTransformer CreateTransformer() => Clamp3ConversionTransformer.Create(_options);

    protected override void CheckInputShape(SchemaShape.Column column)
    {
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' must be a text column.");
    }
}

/// <summary>Conversion transforms on <c>mlContext.Transforms</c>.</summary>
public static class Clamp3ConversionCatalog
{
    /// <summary>MIDI file paths → MTF text (<c>batch_midi2mtf.py --m3_compatible</c>), ready for <c>FeaturizeClamp3Score</c>.</summary>
    public static Clamp3ConversionEstimator ConvertMidiToMtf(this TransformsCatalog catalog, string outputColumnName = "Music",
        string inputColumnName = "Path", bool m3Compatible = true, RowErrorMode errorMode = RowErrorMode.Throw) =>
        new(new Clamp3ConversionOptions
        {
            ConverterName = "midi2mtf", M3Compatible = m3Compatible, OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName, ErrorMode = errorMode,
        });

    /// <summary>MusicXML (.xml, .musicxml, .mxl) paths → interleaved ABC (xml2abc -d 8 -x, then the interleaving), in
    /// memory. Needs the ClaMP3.ML.MusicXml assembly (LGPL) in the application.</summary>
    public static Clamp3ConversionEstimator ConvertMusicXmlToInterleavedAbc(this TransformsCatalog catalog, string outputColumnName = "Music",
        string inputColumnName = "Path", RowErrorMode errorMode = RowErrorMode.Throw) =>
        new(new Clamp3ConversionOptions
        {
            ConverterName = "xml2interleaved", OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ErrorMode = errorMode,
        });

    /// <summary>Standard ABC text → interleaved ABC (the official <c>batch_interleaved_abc.py</c>).</summary>
    /// <param name="acceptPlainAbc">Our addition, on by default: tunes the official script rejects for want of a
    /// <c>V:1</c> voice (or with named voices) are rewritten and converted; false rejects them as the official script does.</param>
    public static Clamp3ConversionEstimator ConvertAbcToInterleaved(this TransformsCatalog catalog, string outputColumnName = "Music",
        string inputColumnName = "Abc", RowErrorMode errorMode = RowErrorMode.Throw, bool acceptPlainAbc = true) =>
        new(new Clamp3ConversionOptions
        {
            Kind = Clamp3ConversionKind.AbcText, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ErrorMode = errorMode,
            AcceptPlainAbc = acceptPlainAbc,
        });

    /// <summary>Audio file paths (WAV, MP3, FLAC, OGG) → MERT features (<c>extract_mert.py --mean_features</c>), a
    /// variable-length vector of windows × hidden size, ready for <c>FeaturizeClamp3Audio</c>.</summary>
    public static Clamp3ConversionEstimator ExtractMertFeatures(this TransformsCatalog catalog, string mertModelPath,
        string outputColumnName = "MertFeatures", string inputColumnName = "Path", string device = "cpu", RowErrorMode errorMode = RowErrorMode.Throw) =>
        new(new Clamp3ConversionOptions
        {
            Kind = Clamp3ConversionKind.MertFeatures, MertModelPath = mertModelPath, Device = device,
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, ErrorMode = errorMode, BatchSize = 4,
        });

    /// <summary>The options overload (any registered file converter by name, error mode, batch size).</summary>
    public static Clamp3ConversionEstimator ConvertClamp3(this TransformsCatalog catalog, Clamp3ConversionOptions options) => new(options);
}
