using System.Text.Json;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Loading;

/// <summary>"Which config for this checkpoint", decided in one place for the loader, the trainer, the estimator and
/// the CLI: <c>configPath</c> when given; else a <c>config.json</c> beside the checkpoint whose <c>checkpoint</c> field
/// names it; else inferred from the checkpoint's tensor shapes (<see cref="Clamp3Config.Infer"/>).</summary>
public static class Clamp3ConfigResolver
{
    /// <param name="checkpointPath">The checkpoint the config is for (null: only <paramref name="configPath"/> can say).</param>
    /// <param name="configPath">An explicit <c>config.json</c>; wins over everything else.</param>
    /// <param name="shapes">The checkpoint's tensor shapes when the caller has read it already (saves a second read).</param>
    public static Clamp3Config ResolveConfig(string? checkpointPath, string? configPath = null, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        if (configPath is not null) return Clamp3Config.Load(configPath);
        if (checkpointPath is null) throw new ArgumentException("Give a CLaMP 3 checkpoint or a config.json.");
        if (FindSiblingConfig(checkpointPath) is { } sibling) return Clamp3Config.Load(sibling);
        shapes ??= ReadShapes(checkpointPath);
        return Clamp3Config.Infer(shapes, checkpointPath);
    }

    /// <summary>The config of an already-read checkpoint (from its shapes, no second read), after checking that it is a
    /// CLaMP 3 state dict and that config and tensors agree (naming the first tensor and field that differ): what the
    /// TorchSharp loader, the trainer and the ONNX exporter use.</summary>
    public static Clamp3Config ResolveChecked(StateDict stateDict, string checkpointPath, string? configPath = null)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var shapes = stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);
        var description = $"checkpoint {checkpointPath}";
        Clamp3CheckpointInspector.RequireClamp3(shapes, description);
        var config = ResolveConfig(checkpointPath, configPath, shapes);
        config.CheckAgainst(shapes, description);
        return config;
    }

    /// <summary>Tensor name → shape of a checkpoint (its pickle or header only: <see cref="CheckpointReader.ReadShapes"/>).</summary>
    public static IReadOnlyDictionary<string, long[]> ReadShapes(string checkpointPath)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"CLaMP 3 checkpoint not found: {checkpointPath}", checkpointPath);
        return CheckpointReader.ReadShapes(checkpointPath);
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
            using var doc = JsonDocument.Parse(File.ReadAllText(candidate));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("checkpoint", out var name)
                   && name.ValueKind == JsonValueKind.String
                   && string.Equals(name.GetString(), Path.GetFileName(checkpointPath), StringComparison.Ordinal)
                ? candidate : null;
        }
        catch (JsonException) { return null; }
    }
}
