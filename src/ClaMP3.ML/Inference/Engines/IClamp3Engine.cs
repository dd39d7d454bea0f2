using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Inference.Engines;

/// <summary>A padded batch of segments of one modality, as <see cref="Clamp3Embedder"/> builds it: everything before
/// (tokenizing, patchilizing, segmenting) and after (weighted mean, re-assembly) is engine-independent.</summary>
/// <param name="Modality">Which encoder runs.</param>
/// <param name="Rows">B, segments in the batch.</param>
/// <param name="Width">L, the padded segment length (tokens, patches or feature rows).</param>
/// <param name="Ids">Text: [B, L] XLM-R ids (padding = the text pad id). Symbolic: [B, L, patch_size] character ids
/// (padding patches all zeros). Null for audio.</param>
/// <param name="Features">Audio: [B, L, audio feature dim] MERT rows (padding rows zeros). Null otherwise.</param>
/// <param name="Mask">[B, L], 1 for real items, 0 for padding.</param>
public sealed record EncoderBatch(Modality Modality, int Rows, int Width, long[]? Ids, float[]? Features, float[] Mask);

/// <summary>One forward pass of a CLaMP 3 encoder (+ projection) over a padded batch. Implementations: the eager
/// TorchSharp engine and the ONNX Runtime engine. Not required to be thread-safe: the embedder serialises calls.</summary>
public interface IClamp3Engine : IDisposable
{
    Clamp3Config Config { get; }
    /// <summary>For logs and benchmarks, e.g. "torch cpu float32" or "onnx cpu int8".</summary>
    string Description { get; }
    /// <summary><paramref name="global"/>: the projected masked mean, [B, D] row-major; otherwise the encoder's last hidden
    /// state, [B, L, H] row-major (padding rows included; the caller drops them). Always float32.</summary>
    float[] Run(EncoderBatch batch, bool global);
}

/// <summary>One forward pass of MERT over equal-length windows of normalised 24 kHz audio.</summary>
public interface IMertEngine : IDisposable
{
    ClaMP3.ML.Modeling.Mert.MertConfig Config { get; }
    string Description { get; }
    /// <summary><paramref name="windows"/>: [B, samples] row-major. Returns the per-window mean over time of every hidden
    /// state (the CNN projection's encoder input state and each layer's output: L = NumHiddenStates), [L, B, H] row-major.</summary>
    float[] HiddenStateTimeMeans(float[] windows, int batch, int samples);
}
