using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ClaMP3.ML.Checkpoints;

/// <summary>Named tensors in file order, plus the non-tensor values stored beside them.</summary>
public sealed class StateDict : IReadOnlyDictionary<string, CheckpointTensor>
{
    private readonly List<string> _keys;
    private readonly Dictionary<string, CheckpointTensor> _tensors;

    public StateDict(IEnumerable<KeyValuePair<string, CheckpointTensor>> tensors, string sourcePath = "", IReadOnlyDictionary<string, object?>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _keys = new List<string>();
        _tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, key);
            if (!_tensors.TryAdd(key, tensor)) throw new ArgumentException($"{sourcePath}: duplicate tensor name '{key}'.", nameof(tensors));
            _keys.Add(key);
        }
        SourcePath = sourcePath;
        Metadata = metadata ?? new Dictionary<string, object?>();
    }

    /// <summary>The file it was read from ("" when built in memory).</summary>
    public string SourcePath { get; }

    /// <summary>
    /// Top-level non-tensor values of a wrapper dict (e.g. "epoch" → long, "min_eval_loss" → double) as plain values
    /// (see <see cref="CheckpointReader.ReadPickle"/>); values holding tensors (e.g. "optimizer") are left out, use
    /// <see cref="CheckpointReader.ReadPickle"/> for those. For safetensors: the "__metadata__" strings.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Metadata { get; }

    public CheckpointTensor this[string key] =>
        _tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{(SourcePath.Length > 0 ? SourcePath + ": " : "")}no tensor named '{key}'.");

    /// <summary>Keys in file order.</summary>
    public IEnumerable<string> Keys => _keys;
    public IEnumerable<CheckpointTensor> Values => _keys.Select(k => _tensors[k]);
    public int Count => _keys.Count;
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out CheckpointTensor value) => _tensors.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, CheckpointTensor>> GetEnumerator() => _keys.Select(k => new KeyValuePair<string, CheckpointTensor>(k, _tensors[k])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The entries whose names start with <paramref name="prefix"/>, with the prefix removed.</summary>
    public StateDict WithPrefixRemoved(string prefix) =>
        new(this.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => new KeyValuePair<string, CheckpointTensor>(kv.Key[prefix.Length..], kv.Value)), SourcePath, Metadata);
}
