using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.IO;
using Microsoft.ML.OnnxRuntime;

namespace ClaMP3.ML.Onnx;

/// <summary>MERT run by ONNX Runtime from an export folder holding <c>mert.onnx</c> (<see cref="MertOnnxExporter"/>),
/// checked against the manifest (and against the MERT weights file when one is given).</summary>
public sealed class OnnxMertEngine : IMertEngine
{
    private readonly InferenceSession _session;

    /// <param name="mertWeightsPath">When given, the folder must have been exported from this weights file (SHA-256).</param>
    public OnnxMertEngine(string directory, int threads = 0, bool useCuda = false, string? mertWeightsPath = null)
    {
        Manifest = OnnxExportManifest.Load(directory);
        var path = Manifest.VerifiedModelPath("mert");
        if (Manifest.MertConfigFile is null) throw new InvalidDataException($"{Path.Combine(directory, OnnxExportManifest.FileName)}: no MERT config listed.");
        if (mertWeightsPath is not null && Manifest.MertWeightsSha256 is { } expected
            && !string.Equals(SafeArchive.Sha256(mertWeightsPath), expected, StringComparison.Ordinal))
            throw new InvalidDataException($"{directory}: mert.onnx was exported from other MERT weights than {mertWeightsPath}; export it again.");
        Config = MertConfig.Load(Path.Combine(directory, Manifest.MertConfigFile));
        _session = OnnxSessions.Create(path, threads, useCuda);
        Description = Manifest.EngineDescription(useCuda);
    }

    public OnnxExportManifest Manifest { get; }
    public MertConfig Config { get; }
    public string Description { get; }

    public float[] HiddenStateTimeMeans(float[] windows, int batch, int samples)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (batch < 1 || samples < 1 || windows.LongLength != (long)batch * samples)
            throw new ArgumentException($"windows must hold batch × samples values ({batch} × {samples}), got {windows.LongLength}.", nameof(windows));
        if (Config.FramesFor(samples) < 1)
            throw new ArgumentException($"a MERT window needs enough samples for at least one frame; {samples} samples give none.", nameof(samples));
        using var input = OrtValue.CreateTensorValueFromMemory(windows, new long[] { batch, samples });
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, new[] { "waveform" }, new[] { input }, new[] { "hidden_state_means" });
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
