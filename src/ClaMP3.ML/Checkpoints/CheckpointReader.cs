namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// Reads PyTorch checkpoints without running Python or any code from the file: the <c>torch.save</c> zip format
/// (<c>.pth</c>, <c>.bin</c>, <c>.pt</c>) through a whitelisting pickle VM, and safetensors. The format is told
/// by content, not by extension.
/// </summary>
public static class CheckpointReader
{
    /// <summary>
    /// The state dict of a checkpoint: a bare state dict (dict or OrderedDict of tensors), the <c>'model'</c> entry of
    /// a wrapper dict such as CLaMP 3's <c>{'model', 'epoch', 'min_eval_loss', …}</c> (its other non-tensor entries
    /// become <see cref="StateDict.Metadata"/>), or a safetensors file. Only the state dict's tensors are read.
    /// </summary>
    /// <remarks>Floating-point tensors holding NaN or ±Inf are refused with an <see cref="InvalidDataException"/>
    /// naming the tensor, unless <paramref name="allowNonFinite"/> is set (e.g. to inspect a diverged checkpoint).</remarks>
    public static StateDict Read(string path, bool allowNonFinite = false)
    {
        var stateDict = ReadUnchecked(path);
        if (!allowNonFinite) FiniteValues.Require(stateDict, path);
        return stateDict;
    }

    private static StateDict ReadUnchecked(string path)
    {
        switch (Sniff(path))
        {
            case Format.Safetensors:
                return Safetensors.Read(path);
            case Format.Zip:
            {
                using var archive = PthArchive.Open(path);
                return ToStateDict(archive.LoadPickle(), path, archive.PickleSource);
            }
            default:
            {
                // A bare pickle: either the legacy (torch < 1.6) format or not a checkpoint at all. Run the VM anyway
                // so that a hostile pickle is reported for what it is.
                var root = new PickleReader(File.ReadAllBytes(path), path).Load();
                if (root is long)
                    throw new InvalidDataException($"{path}: this is the legacy torch.save format (torch < 1.6), which is not supported; re-save it with a newer torch (torch.save(torch.load(p), p)).");
                return ToStateDict(root, path, path);
            }
        }
    }

    /// <summary>Tensor name → shape of a checkpoint's state dict (as <see cref="Read"/> finds it), reading only the
    /// pickle or the safetensors header: no tensor data, so a config can be inferred from a 1.8 GB checkpoint without
    /// loading it. Values are not checked here (<see cref="Read"/> does that when the weights are loaded).</summary>
    public static IReadOnlyDictionary<string, long[]> ReadShapes(string path)
    {
        switch (Sniff(path))
        {
            case Format.Safetensors:
                return Safetensors.ReadShapes(path);
            case Format.Zip:
            {
                using var archive = PthArchive.Open(path);
                var (entries, _) = ModelEntries(archive.LoadPickle(), archive.PickleSource);
                return entries.ToDictionary(e => e.Key, e => e.Tensor.Size, StringComparer.Ordinal);
            }
            default: // a bare pickle holds its storages inline: read it whole
                return Read(path, allowNonFinite: true).ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// The whole pickle of a <c>torch.save</c> file (or of a plain pickle file) as plain .NET values:
    /// dict → Dictionary&lt;string, object?&gt; (Dictionary&lt;object, object?&gt; when a key is not a string, e.g. an
    /// optimizer's <c>state</c> keyed by parameter index), list → List&lt;object?&gt;, tuple → object?[] (both are
    /// IReadOnlyList&lt;object?&gt;), int → long, float → double, str → string, bool, None → null, bytes → byte[],
    /// tensor → <see cref="CheckpointTensor"/>, a torch dtype → <see cref="TensorDType"/>. Insertion order is kept.
    /// </summary>
    public static object? ReadPickle(string path)
    {
        switch (Sniff(path))
        {
            case Format.Zip:
            {
                using var archive = PthArchive.Open(path);
                return PickleReader.ToPlain(archive.LoadPickle(), archive.PickleSource);
            }
            case Format.Safetensors:
                throw new InvalidDataException($"{path}: a safetensors file holds no pickle; use CheckpointReader.Read.");
            default:
                return PickleReader.ToPlain(new PickleReader(File.ReadAllBytes(path), path).Load(), path);
        }
    }

    private enum Format { Zip, Safetensors, Other }

    private static Format Sniff(string path)
    {
        using var file = Safetensors.OpenRead(path);
        Span<byte> start = stackalloc byte[16];
        int n = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        start = start[..n];
        if (n == 0) throw new InvalidDataException($"{path}: the file is empty.");
        if (n >= 4 && start[0] == 'P' && start[1] == 'K' && (start[2] == 3 || start[2] == 5)) return Format.Zip;
        if (Safetensors.LooksLikeSafetensors(start, file.Length)) return Format.Safetensors;
        if (start[0] == 0x80) return Format.Other;
        throw new InvalidDataException($"{path}: not a PyTorch checkpoint (neither a torch.save zip, a pickle, nor safetensors).");
    }

    private static StateDict ToStateDict(object? root, string path, string source)
    {
        var (entries, metadata) = ModelEntries(root, source);
        var tensors = entries.Select(e => new KeyValuePair<string, CheckpointTensor>(e.Key, e.Tensor.Materialize())).ToList();
        return new StateDict(tensors, path, metadata);
    }

    /// <summary>The state dict's tensors (not yet read) and the wrapper's other entries: a bare state dict, or the
    /// <c>'model'</c> / <c>'state_dict'</c> entry of a wrapper dict.</summary>
    private static (List<(string Key, TensorRef Tensor)> Entries, Dictionary<string, object?> Metadata) ModelEntries(object? root, string source)
    {
        if (root is not PyDict top)
            throw new InvalidDataException($"{source}: the checkpoint holds a {PickleReader.Describe(root)}, not a dict of tensors.");
        PyDict model = top;
        var metadata = new Dictionary<string, object?>();
        var wrapped = top.Items.TryGetValue("model", out var m) ? m : top.Items.TryGetValue("state_dict", out var sd) ? sd : null;
        if (wrapped is PyDict inner)
        {
            model = inner;
            foreach (var (k, v) in top.Items)
            {
                if (ReferenceEquals(v, inner) || k is not string key || PickleReader.ContainsTensor(v, source)) continue;
                metadata[key] = PickleReader.ToPlain(v, source);
            }
        }
        var entries = new List<(string, TensorRef)>(model.Items.Count);
        foreach (var (k, v) in model.Items)
        {
            if (k is not string key) throw new InvalidDataException($"{source}: a state-dict key is a {PickleReader.Describe(k)}, not a string.");
            if (v is not TensorRef t) throw new InvalidDataException($"{source}: state-dict entry '{key}' is a {PickleReader.Describe(v)}, not a tensor.");
            entries.Add((key, t));
        }
        return (entries, metadata);
    }
}
