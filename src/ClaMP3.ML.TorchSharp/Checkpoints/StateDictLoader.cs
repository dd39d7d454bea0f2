using TorchSharp;

namespace ClaMP3.ML.Checkpoints;

/// <summary>What <see cref="StateDictLoader.Load"/> did: the names (module names, without the key prefix) it copied or skipped.</summary>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> IgnoredMissing,
    IReadOnlyList<string> IgnoredUnexpected);

/// <summary>The checkpoint does not fit the module: every missing, unexpected and shape-mismatched name is listed.</summary>
public sealed class CheckpointMismatchException : Exception
{
    private const int ListedPerKind = 20;

    public CheckpointMismatchException(string sourcePath, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> shapeMismatches)
        : base(BuildMessage(sourcePath, missing, unexpected, shapeMismatches))
    {
        SourcePath = sourcePath;
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    public string SourcePath { get; }
    /// <summary>Module parameters/buffers the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; }
    /// <summary>Checkpoint tensors the module has no parameter/buffer for.</summary>
    public IReadOnlyList<string> Unexpected { get; }
    /// <summary>"name: checkpoint [a, b] vs module [c, d]".</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string BuildMessage(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var parts = new List<string>();
        void Add(string what, IReadOnlyList<string> names)
        {
            if (names.Count == 0) return;
            var shown = string.Join(", ", names.Take(ListedPerKind));
            parts.Add($"{names.Count} {what}: {shown}{(names.Count > ListedPerKind ? $", … ({names.Count - ListedPerKind} more)" : "")}");
        }
        Add("missing", missing);
        Add("unexpected", unexpected);
        Add("with a different shape", mismatched);
        return $"{(source.Length > 0 ? source : "state dict")} does not match the module: {string.Join("; ", parts)}.";
    }
}

/// <summary>Copies checkpoint tensors into a TorchSharp module's parameters and buffers by name.</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Copies tensors into the module's parameters/buffers by name (module.named_parameters()/named_buffers()), under
    /// no_grad, converting dtype and moving to the parameter's device. Nothing is copied unless everything matches:
    /// otherwise a <see cref="CheckpointMismatchException"/> lists every missing, unexpected and shape-mismatched name.
    /// </summary>
    /// <param name="ignoreMissing">Module names allowed to be absent from the checkpoint (e.g. non-persistent "position_ids" buffers).</param>
    /// <param name="ignoreUnexpected">Checkpoint names (prefix removed) the module may lack.</param>
    /// <param name="keyPrefix">When set, only checkpoint keys starting with it are considered, with it removed
    /// (e.g. "text_model." to load the text encoder alone from a whole CLaMP 3 checkpoint).</param>
    public static LoadReport Load(torch.nn.Module module, StateDict stateDict, Func<string, bool>? ignoreMissing = null,
        Func<string, bool>? ignoreUnexpected = null, string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var source = string.IsNullOrEmpty(keyPrefix) ? stateDict : stateDict.WithPrefixRemoved(keyPrefix);
        var prefix = keyPrefix ?? "";

        var targets = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (name, p) in module.named_parameters())
            if (targets.TryAdd(name, p)) order.Add(name);
        foreach (var (name, b) in module.named_buffers())
            if (targets.TryAdd(name, b)) order.Add(name);

        var missing = new List<string>();
        var ignoredMissing = new List<string>();
        var mismatched = new List<string>();
        var toLoad = new List<string>();
        foreach (var name in order)
        {
            if (!source.TryGetValue(name, out var tensor))
            {
                if (ignoreMissing != null && ignoreMissing(name)) ignoredMissing.Add(name);
                else missing.Add(prefix + name);
                continue;
            }
            var shape = targets[name].shape;
            if (!shape.SequenceEqual(tensor.Shape))
                mismatched.Add($"{prefix}{name}: checkpoint [{string.Join(", ", tensor.Shape)}] vs module [{string.Join(", ", shape)}]");
            else
                toLoad.Add(name);
        }
        var unexpected = new List<string>();
        var ignoredUnexpected = new List<string>();
        foreach (var name in source.Keys)
        {
            if (targets.ContainsKey(name)) continue;
            if (ignoreUnexpected != null && ignoreUnexpected(name)) ignoredUnexpected.Add(name);
            else unexpected.Add(prefix + name);
        }
        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            throw new CheckpointMismatchException(stateDict.SourcePath, missing, unexpected, mismatched);

        using (torch.no_grad())
        {
            foreach (var name in toLoad)
            {
                using var scope = torch.NewDisposeScope();
                var src = source[name].ToTensor();
                targets[name].copy_(src); // converts dtype and crosses devices
            }
        }
        return new LoadReport(toLoad, ignoredMissing, ignoredUnexpected);
    }
}
