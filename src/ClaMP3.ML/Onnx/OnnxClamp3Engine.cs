using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling;
using Microsoft.ML.OnnxRuntime;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// The CLaMP 3 encoders run by ONNX Runtime from a folder written by <see cref="Clamp3OnnxExporter"/>. The folder is
/// checked against its manifest when the engine is made (every CLaMP 3 model file's SHA-256, and the checkpoint's when
/// one is given); a session is created on the first batch of its modality. Not thread-safe (the embedder serialises calls).
/// </summary>
public sealed class OnnxClamp3Engine : IClamp3Engine
{
    private readonly Dictionary<Modality, string> _paths = new();
    private readonly Dictionary<Modality, InferenceSession> _sessions = new();
    private readonly int _threads;
    private readonly bool _useCuda;
    private bool _disposed;

    /// <param name="directory">An export folder (<c>manifest.json</c>, <c>config.json</c>, <c>text/symbolic/audio.onnx</c>).</param>
    /// <param name="threads">Intra-op threads (0 = one per core).</param>
    /// <param name="useCuda">Use the CUDA execution provider (needs the ORT GPU package).</param>
    /// <param name="checkpointPath">When given, the folder must have been exported from this checkpoint (SHA-256).</param>
    public OnnxClamp3Engine(string directory, int threads = 0, bool useCuda = false, string? checkpointPath = null)
    {
        Manifest = OnnxExportManifest.Load(directory);
        if (checkpointPath is not null) Manifest.RequireCheckpoint(checkpointPath);
        if (Manifest.ConfigFile is null) throw new InvalidDataException($"{Path.Combine(directory, OnnxExportManifest.FileName)}: the export holds no CLaMP 3 models (MERT only).");
        Config = Clamp3Config.Load(Path.Combine(directory, Manifest.ConfigFile));
        foreach (var modality in Clamp3OnnxExporter.Encoders) _paths[modality] = Manifest.VerifiedModelPath(Clamp3OnnxExporter.ModelKey(modality));
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (default) or positive.");
        if (useCuda) OnnxSessions.RequireCuda();
        this._threads = threads;
        this._useCuda = useCuda;
        Description = Manifest.EngineDescription(useCuda);
    }

    public OnnxExportManifest Manifest { get; }
    public Clamp3Config Config { get; }
    public string Description { get; }

    public float[] Run(EncoderBatch batch, bool global)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Validate(batch);
        var session = Session(batch.Modality);
        var shape = new long[] { batch.Rows, batch.Width };
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.Mask, shape);
        using var input = batch.Modality switch
        {
            Modality.Text => OrtValue.CreateTensorValueFromMemory(batch.Ids!, shape),
            Modality.Symbolic => OrtValue.CreateTensorValueFromMemory(batch.Ids!, new long[] { batch.Rows, batch.Width, Config.PatchSize }),
            _ => OrtValue.CreateTensorValueFromMemory(batch.Features!, new long[] { batch.Rows, batch.Width, Config.AudioFeatureDim }),
        };
        var inputName = batch.Modality switch { Modality.Text => "input_ids", Modality.Symbolic => "patches", _ => "features" };
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new[] { inputName, "attention_mask" }, new[] { input, mask }, new[] { global ? "global" : "sequence" });
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private void Validate(EncoderBatch batch)
    {
        int limit = batch.Modality switch { Modality.Text => Config.MaxTextLength, Modality.Symbolic => Config.PatchLength, _ => Config.MaxAudioLength };
        if (batch.Rows < 1 || batch.Width < 1 || batch.Width > limit)
            throw new ArgumentException($"a {batch.Modality} batch must be [rows ≥ 1, 1..{limit}], got [{batch.Rows}, {batch.Width}].", nameof(batch));
        long cells = (long)batch.Rows * batch.Width;
        if (batch.Mask.LongLength != cells) throw new ArgumentException($"the mask has {batch.Mask.LongLength} values, expected {cells}.", nameof(batch));
        switch (batch.Modality)
        {
            case Modality.Text:
                CheckIds(batch.Ids, cells, Config.Text.VocabSize, "token");
                break;
            case Modality.Symbolic:
                CheckIds(batch.Ids, cells * Config.PatchSize, Clamp3Config.PatchVocabSize, "patch character");
                break;
            default:
                if (batch.Features is null || batch.Features.LongLength != cells * Config.AudioFeatureDim)
                    throw new ArgumentException($"audio features must hold rows × width × {Config.AudioFeatureDim} values.", nameof(batch));
                break;
        }
    }

    private static void CheckIds(long[]? ids, long expected, int vocab, string what)
    {
        if (ids is null || ids.LongLength != expected) throw new ArgumentException($"the batch must hold {expected} {what} ids, got {ids?.LongLength ?? 0}.");
        foreach (var id in ids)
            if ((ulong)id >= (ulong)vocab) throw new ArgumentOutOfRangeException(nameof(ids), $"{what} id {id} is outside 0..{vocab - 1}.");
    }

    private InferenceSession Session(Modality modality)
    {
        if (!_sessions.TryGetValue(modality, out var session))
            _sessions[modality] = session = OnnxSessions.Create(_paths[modality], _threads, _useCuda);
        return session;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
