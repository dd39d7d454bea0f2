using ClaMP3.ML;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Scoring;

/// <summary>
/// One CLaMP 3 encoder exported for the standard-model featurizer (<see cref="Clamp3ScoringCatalog.FeaturizeClamp3ForScoring"/>):
/// the ONNX graph (segmenting and weighting in-graph; audio with MERT in front) and the state the row mapping needs
/// (the tokenizer for text, the patch size for scores). Built from the checkpoint's tensors as plain arrays: no TorchSharp.
/// </summary>
public sealed class Clamp3ScoringModel
{
    private Clamp3ScoringModel(Modality modality, int dimension, byte[] encoderOnnx, byte[]? state)
    {
        Modality = modality;
        Dimension = dimension;
        EncoderOnnx = encoderOnnx;
        State = state;
    }

    public Modality Modality { get; }
    /// <summary>D, the length of the <c>Features</c> vector (CLAMP3_HIDDEN_SIZE).</summary>
    public int Dimension { get; }
    internal byte[] EncoderOnnx { get; }
    internal byte[]? State { get; }

    /// <summary>The column the featurizer reads: <c>Text</c>, <c>Music</c> (interleaved ABC or MTF text) or <c>AudioPath</c>.</summary>
    public static string InputColumnFor(Modality modality) => modality switch
    {
        Modality.Text => "Text",
        Modality.Symbolic => "Music",
        Modality.Audio => "AudioPath",
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };

    /// <summary>Exports one encoder of a checkpoint.</summary>
    /// <param name="checkpointPath">An official CLaMP 3 checkpoint (<c>.pth</c>), a bare state dict or <c>.safetensors</c>.</param>
    /// <param name="configPath">A <c>config.json</c>; default: a sibling naming the checkpoint, else inferred from the tensors.</param>
    /// <param name="tokenizerPath">Text: XLM-R's <c>sentencepiece.bpe.model</c>; default: the config's <c>tokenizer_model</c>.</param>
    /// <param name="mertDirectory">Audio: the HF MERT folder (<c>config.json</c> + weights).</param>
    /// <param name="int8">Dynamically quantized int8 weights (see the ONNX exporter).</param>
    /// <exception cref="OnnxExportException">A tensor is missing, mis-shaped or not finite (named).</exception>
    public static Clamp3ScoringModel Export(Modality modality, string checkpointPath, string? configPath = null,
        string? tokenizerPath = null, string? mertDirectory = null, bool int8 = false)
    {
        var (stateDict, config) = Clamp3OnnxExporter.ReadCheckpoint(checkpointPath, configPath);
        var source = $"checkpoint {checkpointPath}";
        switch (modality)
        {
            case Modality.Text:
            {
                tokenizerPath ??= config.ExistingTokenizerModel;
                if (tokenizerPath is null)
                    throw new ArgumentException("A text featurizer needs XLM-R's sentencepiece.bpe.model: give its path (--tokenizer).", nameof(tokenizerPath));
                if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"Tokenizer model not found: {tokenizerPath}", tokenizerPath);
                var state = Clamp3ScoringState.ForText(File.ReadAllBytes(tokenizerPath), tokenizerPath);
                return new(modality, config.Clamp3HiddenSize, Bytes(Clamp3ScoringGraphs.Text(config, stateDict, source, int8), int8), state);
            }
            case Modality.Symbolic:
                return new(modality, config.Clamp3HiddenSize, Bytes(Clamp3ScoringGraphs.Symbolic(config, stateDict, source, int8), int8), Clamp3ScoringState.ForScore(config.PatchSize));
            case Modality.Audio:
            {
                if (mertDirectory is null)
                    throw new ArgumentException("An audio featurizer needs the MERT-v1-95M folder (--mert): it reads audio files.", nameof(mertDirectory));
                var mert = MertOnnxExporter.ReadSource(mertDirectory);
                var graph = Clamp3ScoringGraphs.Audio(config, stateDict, source, mert.Config, mert.Weights, $"MERT weights {mert.WeightsPath}", int8);
                return new(modality, config.Clamp3HiddenSize, Bytes(graph, int8), null);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(modality));
        }
    }

    /// <summary>The featurizer as a fitted ML.NET model with input column <see cref="InputColumnFor"/> and output
    /// <c>Features</c>, saved with <c>mlContext.Model.Save</c> (what <c>clamp3 export mlnet</c> writes). Written atomically.</summary>
    public void SaveAsMlNetModel(MLContext mlContext, string path, bool missingValueOnBadAudio = false)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var transformer = Fit(mlContext, missingValueOnBadAudio);
        var schema = EmptyInput(mlContext).Schema;
        IO.AtomicFile.Write(Path.GetFullPath(path), stream => mlContext.Model.Save(transformer, schema, stream));
    }

    /// <summary>Fits the featurizer (nothing is learned: the result is the chain of ML.NET transformers).</summary>
    public ITransformer Fit(MLContext mlContext, bool missingValueOnBadAudio = false) =>
        mlContext.Transforms.FeaturizeClamp3ForScoring(this, missingValueOnBadAudio: missingValueOnBadAudio).Fit(EmptyInput(mlContext));

    private IDataView EmptyInput(MLContext mlContext)
    {
        return mlContext.Data.LoadFromEnumerable(Array.Empty<InputRow>(), SchemaDefinitionFor(Modality));
    }

    private sealed class InputRow { public string Input { get; set; } = ""; }

    private static SchemaDefinition SchemaDefinitionFor(Modality modality)
    {
        var definition = SchemaDefinition.Create(typeof(InputRow));
        definition[nameof(InputRow.Input)].ColumnName = InputColumnFor(modality);
        return definition;
    }

    internal byte[] StateCarrierOnnx(string inputColumn) =>
        Bytes(Clamp3ScoringGraphs.StateCarrier(inputColumn, State ?? throw new InvalidOperationException($"a {Modality} featurizer carries no state.")), false);

    /// <summary>The serialized model, written once into an array of its exact size (an official text encoder is
    /// over 1 GB: a growing MemoryStream plus ToArray would hold it up to three times).</summary>
    private static byte[] Bytes(OnnxGraph graph, bool int8)
    {
        var model = graph.ToModel(OnnxExportManifest.ExporterVersion, Clamp3OnnxExporter.Metadata(int8 ? OnnxPrecision.Int8 : OnnxPrecision.Float32));
        var bytes = new byte[checked((int)model.Size)];
        using var stream = new MemoryStream(bytes, writable: true);
        model.WriteTo(stream);
        if (stream.Position != bytes.Length)
            throw new InvalidOperationException($"the ONNX model wrote {stream.Position} bytes, {bytes.Length} expected.");
        return bytes;
    }
}
