namespace ClaMP3.ML.Inference;

/// <summary>Numeric precision of the encoders. <see cref="Float32"/> is the official one and the default.</summary>
public enum Clamp3Precision
{
    Float32,
    /// <summary>Weights and activations in bfloat16 (inputs and outputs stay float32). Only worth it where bf16 matmuls
    /// are native (GPUs, CPUs with AVX512-BF16/AMX): on an AVX2-only CPU <c>clamp3 bench model --bf16</c> measured bf16
    /// matmuls about 40× slower than fp32. Results differ from the official float32 ones (global features: cosine
    /// ≥ 0.9997, |diff| up to ~0.1 on clamp3-tiny), so not for parity.</summary>
    BFloat16,
}

/// <summary>Where a CLaMP 3 model comes from and how it runs: the one record the embedder options derive from, the
/// featurizer and trainer options expose (<c>ModelSource</c>), and the model cache keys on (with the batch size).</summary>
/// <param name="CheckpointPath">An official CLaMP 3 checkpoint (<c>.pth</c>), a bare state dict or a <c>.safetensors</c> file
/// (may be empty with <see cref="OnnxDirectory"/>).</param>
public record Clamp3ModelSource(string CheckpointPath)
{
    /// <summary>XLM-R's <c>sentencepiece.bpe.model</c>; defaults to the config's <c>tokenizer_model</c>. Needed for text only.</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>A <c>config.json</c> (fixture format); default: a sibling <c>config.json</c> naming the checkpoint, else inferred from the tensors.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";
    public Clamp3Precision Precision { get; init; } = Clamp3Precision.Float32;
    /// <summary>Load checkpoints whose weights hold NaN or ±Inf (refused by default: every embedding would be NaN).</summary>
    public bool AllowNonFiniteWeights { get; init; }
    /// <summary>A folder written by <c>clamp3 export onnx</c>: the encoders run in ONNX Runtime instead of TorchSharp (no
    /// ClaMP3.ML.TorchSharp needed). The config comes from the folder; <see cref="CheckpointPath"/> may be empty, and when
    /// it is given the folder must have been exported from it (SHA-256). "cuda" devices use ORT's CUDA provider.</summary>
    public string? OnnxDirectory { get; init; }
    /// <summary>CPU threads of the ONNX Runtime engine (0 = one per core).</summary>
    public int Threads { get; init; }

    /// <summary>The same source (and, for derived options, the same other values) with every path absolute and the device
    /// name trimmed and lower-case: two sources that name the same files compare equal.</summary>
    public Clamp3ModelSource Normalized() => this with
    {
        CheckpointPath = Full(CheckpointPath) ?? "",
        TokenizerPath = Full(TokenizerPath),
        ConfigPath = Full(ConfigPath),
        OnnxDirectory = Full(OnnxDirectory),
        Device = Device.Trim().ToLowerInvariant(),
    };

    private static string? Full(string? path) => string.IsNullOrEmpty(path) ? path : Path.GetFullPath(path);
}
