using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;
using TorchSharp;

namespace ClaMP3.ML.Inference;

/// <summary>A CLaMP 3 model read from a checkpoint, with the config it was built from.</summary>
/// <remarks><paramref name="CheckpointMetadata"/>: the non-tensor values saved beside the state dict (e.g. <c>epoch</c>, <c>min_eval_loss</c>).</remarks>
public sealed record LoadedClamp3Model(Clamp3Model Model, Clamp3Config Config, IReadOnlyDictionary<string, object?> CheckpointMetadata);

/// <summary>Builds a <see cref="Clamp3Model"/> from an official checkpoint (<c>.pth</c>, bare state dict or
/// <c>.safetensors</c>), with or without a <c>config.json</c>.</summary>
public static class Clamp3ModelLoader
{
    /// <summary>
    /// Reads the checkpoint, picks the config (in order: <paramref name="configPath"/>; a <c>config.json</c> beside the
    /// checkpoint whose <c>checkpoint</c> field names this file; otherwise inferred from the tensor shapes), checks that
    /// config and checkpoint agree (naming the first tensor and field that differ), and copies every tensor by name.
    /// The model is left on the CPU in float32 and in eval mode. Weights holding NaN or ±Inf are refused (naming the
    /// tensor) unless <paramref name="allowNonFiniteWeights"/> is set.
    /// </summary>
    public static LoadedClamp3Model Load(string checkpointPath, string? configPath = null, bool allowNonFiniteWeights = false)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"CLaMP 3 checkpoint not found: {checkpointPath}", checkpointPath);
        var stateDict = CheckpointReader.Read(checkpointPath, allowNonFiniteWeights);
        var config = Clamp3ConfigResolver.ResolveChecked(stateDict, checkpointPath, configPath);
        var model = new Clamp3Model(config);
        try
        {
            // CheckAgainst has already named every problem; the loader's own check stays as a second line of defence.
            StateDictLoader.Load(model, stateDict, ignoreMissing: null, ignoreUnexpected: Clamp3Config.IsKnownBuffer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedClamp3Model(model, config, stateDict.Metadata);
    }

    /// <summary>See <see cref="Clamp3ConfigResolver.FindSiblingConfig"/>.</summary>
    public static string? FindSiblingConfig(string checkpointPath) => Clamp3ConfigResolver.FindSiblingConfig(checkpointPath);

    /// <summary>See <see cref="TorchDevice.Parse"/>.</summary>
    public static torch.Device ParseDevice(string device) => TorchDevice.Parse(device);
}
