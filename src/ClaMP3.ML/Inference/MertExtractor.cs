using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.ML.Inference;

/// <summary>MERT features as CLaMP 3 consumes them (<c>preprocessing/audio/extract_mert.py --mean_features</c>):
/// per 5 s window the mean over time of every hidden state, then the mean over the L = layers + 1 states → (W, H).</summary>
/// <remarks>Windows of equal length run together in batches of up to <see cref="MaxBatchWindows"/>; per-window
/// results do not depend on the batch (no padding, no attention mask, GroupNorm is per window). Only one batch's
/// activations are alive at a time.</remarks>
public sealed class MertExtractor : IDisposable
{
    private readonly bool _ownsEngine;

    /// <summary>The forward passes (TorchSharp or ONNX Runtime); the eager network: <c>((TorchMertEngine)Engine).Model</c>.</summary>
    public IMertEngine Engine { get; }
    public MertConfig Config => Engine.Config;
    /// <summary>Windows per forward pass; more is faster on CPU up to memory (a full-size 5 s window needs ~0.3 GB).</summary>
    public int MaxBatchWindows { get; set; } = 4;
    public int HiddenSize => Config.HiddenSize;

    /// <summary>An extractor over an engine; it disposes the engine when <paramref name="ownsEngine"/>.</summary>
    public MertExtractor(IMertEngine engine, bool ownsEngine = true)
    {
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        this._ownsEngine = ownsEngine;
    }

    /// <summary>Loads an HF MERT folder (<c>config.json</c> + <c>model.safetensors</c> or <c>pytorch_model.bin</c>) on
    /// the TorchSharp engine (needs the ClaMP3.ML.TorchSharp package); weights holding NaN or ±Inf are refused, naming
    /// the tensor, unless <paramref name="allowNonFiniteWeights"/> is set.</summary>
    public static MertExtractor Load(string modelDir, string device = "cpu", bool allowNonFiniteWeights = false) =>
        new(Clamp3Engines.CreateMert(modelDir, device, allowNonFiniteWeights));

    /// <summary>MERT on ONNX Runtime when <paramref name="onnxDirectory"/> is given (a folder from <c>clamp3 export onnx
    /// --mert</c>; when <paramref name="modelDirectory"/> is given too, the export must come from its weights), else
    /// <see cref="Load"/> of <paramref name="modelDirectory"/>. <paramref name="threads"/>: ONNX Runtime's CPU threads
    /// (0 = one per core); "cuda" devices use its CUDA provider.</summary>
    public static MertExtractor Open(string? modelDirectory, string? onnxDirectory, string device = "cpu", int threads = 0)
    {
        if (onnxDirectory is null)
            return Load(modelDirectory ?? throw new ArgumentException("Give a MERT folder or an ONNX export holding MERT."), device);
        string? weights = modelDirectory is null ? null : Onnx.MertOnnxExporter.WeightsFile(modelDirectory);
        return new(new Onnx.OnnxMertEngine(onnxDirectory, threads, Onnx.OnnxSessions.IsCuda(device), weights));
    }

    /// <summary>(W, H) features of an audio file (.wav .mp3 .flac .ogg): decode, mono, 24 kHz, normalise, 5 s windows.</summary>
    /// <exception cref="AudioDecodingException">The file cannot be decoded (the message names it).</exception>
    /// <exception cref="AudioTooShortException">No window is left (under 1 s of audio): the official script writes nothing.</exception>
    public FeatureMatrix ExtractFromFile(string path) => ExtractLayersFromFile(path).MeanOverLayers();

    /// <summary>(L, W, H) features of an audio file (what extract_mert.py saves without <c>--mean_features</c>).</summary>
    public MertLayerFeatures ExtractLayersFromFile(string path)
    {
        return ExtractLayersFromNormalized(MertAudioPreprocessor.Prepare(path), path);
    }

    /// <summary>(W, H) features of mono samples in memory at any sample rate (resampled to 24 kHz and normalised here).</summary>
    /// <exception cref="AudioTooShortException">Under 1 s of audio.</exception>
    public FeatureMatrix Extract(float[] samples, int sampleRate) => ExtractLayers(samples, sampleRate).MeanOverLayers();

    /// <summary>(W, H) features of multi-channel samples (<paramref name="channels"/>[c][i]); channels are averaged first.</summary>
    public FeatureMatrix Extract(float[][] channels, int sampleRate) => ExtractLayers(channels, sampleRate).MeanOverLayers();

    /// <summary>(L, W, H) features of mono samples in memory.</summary>
    public MertLayerFeatures ExtractLayers(float[] samples, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return ExtractLayers(new[] { samples }, sampleRate);
    }

    /// <summary>(L, W, H) features of multi-channel samples in memory.</summary>
    public MertLayerFeatures ExtractLayers(float[][] channels, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (sampleRate <= 0) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "the sample rate must be positive.");
        return ExtractLayersFromNormalized(MertAudioPreprocessor.Prepare(new DecodedAudio(channels, sampleRate)), null);
    }

    /// <summary>The 5 s windows of prepared 24 kHz audio, run, with the audio's length. <paramref name="path"/> (null for
    /// samples in memory) names the input in errors. NaN or Inf in the output (from NaN samples, or overflow) would become
    /// NaN embeddings downstream: refused, naming the input.</summary>
    private MertLayerFeatures ExtractLayersFromNormalized(float[] normalized, string? path)
    {
        var features = ExtractLayersFromWindows(MertAudioPreprocessor.Windows(normalized, path)) with
        {
            AudioSeconds = normalized.Length / (double)MertAudioPreprocessor.TargetSampleRate,
        };
        Checkpoints.FiniteValues.Require(features.Values, path ?? "audio samples", "the MERT features computed from it");
        return features;
    }

    /// <summary>Per-window, per-hidden-state features of already normalised 24 kHz windows: (L, W, H).</summary>
    public MertLayerFeatures ExtractLayersFromWindows(IReadOnlyList<ArraySegment<float>> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0) throw new ArgumentException("no windows to extract (the audio is too short).", nameof(windows));
        int layers = Config.NumHiddenStates, hidden = Config.HiddenSize, count = windows.Count;
        var values = new float[(long)layers * count * hidden];
        foreach (var batch in Batches(windows))
        {
            int length = windows[batch[0]].Count;
            var buffer = new float[(long)batch.Count * length];
            for (int b = 0; b < batch.Count; b++) windows[batch[b]].AsSpan().CopyTo(buffer.AsSpan(b * length, length));
            var data = Engine.HiddenStateTimeMeans(buffer, batch.Count, length); // (L, B, H)
            if (data.LongLength != (long)layers * batch.Count * hidden)
                throw new InvalidOperationException($"The {Engine.Description} engine returned {data.LongLength} values for {batch.Count} windows, expected {(long)layers * batch.Count * hidden}.");
            for (int l = 0; l < layers; l++)
                for (int b = 0; b < batch.Count; b++)
                    Array.Copy(data, ((long)l * batch.Count + b) * hidden, values, ((long)l * count + batch[b]) * hidden, hidden);
        }
        return new MertLayerFeatures(values, layers, count, hidden);
    }

    /// <summary>(W, H) = the hidden-state mean of <see cref="ExtractLayersFromWindows"/>.</summary>
    public FeatureMatrix ExtractFromWindows(IReadOnlyList<ArraySegment<float>> windows) =>
        ExtractLayersFromWindows(windows).MeanOverLayers();

    /// <summary>Groups window indices by length (in order of first appearance), at most <see cref="MaxBatchWindows"/> each.</summary>
    private IEnumerable<List<int>> Batches(IReadOnlyList<ArraySegment<float>> windows)
    {
        int max = Math.Max(1, MaxBatchWindows);
        var byLength = new Dictionary<int, List<int>>();
        var order = new List<int>();
        for (int i = 0; i < windows.Count; i++)
        {
            int n = windows[i].Count;
            if (Config.FramesFor(n) < 1)
                throw new ArgumentException($"window {i} has {n} samples, too few for one MERT frame.");
            if (!byLength.TryGetValue(n, out var list)) { byLength[n] = list = new List<int>(); order.Add(n); }
            list.Add(i);
        }
        foreach (int n in order)
        {
            var all = byLength[n];
            for (int start = 0; start < all.Count; start += max)
                yield return all.GetRange(start, Math.Min(max, all.Count - start));
        }
    }

    public void Dispose()
    {
        if (_ownsEngine) Engine.Dispose();
    }
}
