using ClaMP3.ML.Checkpoints;
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
        var shapes = stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);
        var description = $"checkpoint {checkpointPath}";
        Clamp3CheckpointInspector.RequireClamp3(shapes, description);

        configPath ??= FindSiblingConfig(checkpointPath);
        var config = configPath is not null ? Clamp3Config.Load(configPath) : Clamp3Config.Infer(shapes, checkpointPath);
        config.CheckAgainst(shapes, description);

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

    /// <summary>A <c>config.json</c> in the checkpoint's folder whose <c>checkpoint</c> field is the checkpoint's file name.</summary>
    public static string? FindSiblingConfig(string checkpointPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(checkpointPath));
        if (dir is null) return null;
        var candidate = Path.Combine(dir, "config.json");
        if (!File.Exists(candidate)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(candidate));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("checkpoint", out var name)
                   && name.ValueKind == System.Text.Json.JsonValueKind.String
                   && string.Equals(name.GetString(), Path.GetFileName(checkpointPath), StringComparison.Ordinal)
                ? candidate : null;
        }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>Parses "cpu", "cuda" or "cuda:N", checking that the CUDA device exists.</summary>
    public static torch.Device ParseDevice(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        var m = System.Text.RegularExpressions.Regex.Match(device.Trim().ToLowerInvariant(), @"^(cpu|cuda)(?::(\d+))?$");
        if (!m.Success) throw new ArgumentException($"Unknown device '{device}' (use cpu, cuda or cuda:N).", nameof(device));
        if (m.Groups[1].Value == "cpu") return torch.CPU;
        // Checked before torch.device(): a CPU-only libtorch throws an unhelpful error for any CUDA device.
        if (!torch.cuda.is_available())
            throw new ArgumentException($"Device '{device}' requested but CUDA is not available (it needs an NVIDIA GPU and a CUDA build of libtorch, e.g. the libtorch-cuda-12.8-linux-x64 or TorchSharp-cuda-linux package, instead of libtorch-cpu).", nameof(device));
        int index = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (index >= torch.cuda.device_count())
            throw new ArgumentException($"Device '{device}' requested but only {torch.cuda.device_count()} CUDA device(s) exist.", nameof(device));
        return torch.device(DeviceType.CUDA, index);
    }
}
