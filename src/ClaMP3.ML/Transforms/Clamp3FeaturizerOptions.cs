using ClaMP3.ML.Inference;
using ClaMP3.ML.Transforms.Core;

namespace ClaMP3.ML.Transforms;

/// <summary>Options of a CLaMP 3 featurizer (the "options overload" of the catalog methods).</summary>
public sealed class Clamp3FeaturizerOptions
{
    /// <summary>The official checkpoint (<c>weights_clamp3_saas_...pth</c>) or a fixture checkpoint.</summary>
    public string CheckpointPath { get; set; } = "";
    /// <summary>XLM-R's <c>sentencepiece.bpe.model</c>; needed for text.</summary>
    public string? TokenizerPath { get; set; }
    /// <summary>Optional <c>config.json</c>; without it the configuration is inferred from the checkpoint.</summary>
    public string? ConfigPath { get; set; }
    /// <summary>A MERT-v1-95M folder; set it to feed audio file paths instead of MERT features.</summary>
    public string? MertModelPath { get; set; }
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Text: a string column. Symbolic: interleaved ABC or MTF, detected as the official code does (a string
    /// column). Audio: MERT features, a float vector column of rows × audio hidden size values (row-major), as the official
    /// <c>.npy</c> files; or, when <see cref="MertModelPath"/> is set, a string column of audio file paths.</summary>
    public Modality Modality { get; set; } = Modality.Text;
    public string InputColumnName { get; set; } = "Text";
    public string OutputColumnName { get; set; } = "Features";
    /// <summary>Global: one vector per row (known size). Sequence: the per-position features, a variable-length
    /// vector of rows × width values; the width is in the column's <c>SequenceWidth</c> annotation.</summary>
    public FeatureKind FeatureKind { get; set; } = FeatureKind.Global;
    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; set; } = 8;
    /// <summary>Numeric precision of the encoders (saved with the pipeline).</summary>
    public Clamp3Precision Precision { get; set; } = Clamp3Precision.Float32;
    /// <summary>Load a checkpoint whose weights hold NaN or ±Inf (refused by default: every feature would be NaN).</summary>
    public bool AllowNonFiniteWeights { get; set; }
    /// <summary>A folder from <c>clamp3 export onnx</c>: the batched featurizer then runs on ONNX Runtime (bulk
    /// featurization with segments batched across rows; the standard-model route scores one row per ONNX call).</summary>
    public string? OnnxDirectory { get; set; }
    /// <summary>CPU threads of the ONNX Runtime engine (0 = one per core).</summary>
    public int Threads { get; set; }
    public RowErrorMode ErrorMode { get; set; } = RowErrorMode.Throw;
    /// <summary>Receives warnings (rows set to missing values); standard error when null. Not saved with the model.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action<string>? OnWarning { get; set; }

    internal Clamp3FeaturizerOptions Clone() => (Clamp3FeaturizerOptions)MemberwiseClone();

    /// <summary>Options naming the files an already loaded embedder came from (what a saved pipeline records).</summary>
    internal static Clamp3FeaturizerOptions For(Clamp3Embedder embedder, Modality modality, string outputColumnName,
        string inputColumnName, int batchSize) => new()
    {
        CheckpointPath = embedder.Options.CheckpointPath,
        TokenizerPath = embedder.Options.TokenizerPath,
        ConfigPath = embedder.Options.ConfigPath,
        Device = embedder.Options.Device,
        Modality = modality,
        OutputColumnName = outputColumnName,
        InputColumnName = inputColumnName,
        BatchSize = batchSize,
        Precision = embedder.Options.Precision,
        AllowNonFiniteWeights = embedder.Options.AllowNonFiniteWeights,
        OnnxDirectory = embedder.Options.OnnxDirectory,
        Threads = embedder.Options.Threads,
    };

    /// <summary>Where the model comes from (the model cache's key, with <see cref="BatchSize"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Clamp3ModelSource ModelSource => new(CheckpointPath)
    {
        TokenizerPath = TokenizerPath,
        ConfigPath = ConfigPath,
        Device = Device,
        Precision = Precision,
        AllowNonFiniteWeights = AllowNonFiniteWeights,
        OnnxDirectory = OnnxDirectory,
        Threads = Threads,
    };

    internal Clamp3EmbedderOptions ToEmbedderOptions() => new(ModelSource, BatchSize);
}
