using System.Text.RegularExpressions;

namespace ClaMP3.ML.Modeling;

public sealed partial record Clamp3Config
{
    /// <summary>One tensor the model holds: its state-dict name, shape, and the config fields that set the shape.</summary>
    public sealed record ExpectedTensor(string Name, long[] Shape, string Fields);

    /// <summary>Every parameter of <c>Clamp3Model</c> (ClaMP3.ML.TorchSharp) for this config, in the official state dict's order.</summary>
    public IReadOnlyList<ExpectedTensor> ExpectedTensors()
    {
        var list = new List<ExpectedTensor>();
        AddEncoder(list, "text_model.", Text, "text");
        Add(list, "text_proj", Clamp3HiddenSize, Text.HiddenSize, "clamp3_hidden_size, text.hidden_size");
        list.Add(new("symbolic_model.patch_embedding.weight", new long[] { Symbolic.HiddenSize, (long)PatchSize * PatchVocabSize },
            "symbolic.hidden_size, symbolic.patch_size (× 128)"));
        list.Add(new("symbolic_model.patch_embedding.bias", new long[] { Symbolic.HiddenSize }, "symbolic.hidden_size"));
        AddEncoder(list, "symbolic_model.base.", Symbolic, "symbolic");
        Add(list, "symbolic_proj", Clamp3HiddenSize, Symbolic.HiddenSize, "clamp3_hidden_size, symbolic.hidden_size");
        AddEncoder(list, "audio_model.", Audio, "audio");
        Add(list, "audio_proj", Clamp3HiddenSize, Audio.HiddenSize, "clamp3_hidden_size, audio.hidden_size");
        return list;
    }

    private static void Add(List<ExpectedTensor> list, string linear, long outSize, long inSize, string fields)
    {
        list.Add(new(linear + ".weight", new[] { outSize, inSize }, fields));
        list.Add(new(linear + ".bias", new[] { outSize }, fields.Split(',')[0]));
    }

    private static void AddEncoder(List<ExpectedTensor> list, string prefix, BertConfig c, string s)
    {
        long h = c.HiddenSize;
        void Norm(string name) { list.Add(new(name + ".weight", new[] { h }, $"{s}.hidden_size")); list.Add(new(name + ".bias", new[] { h }, $"{s}.hidden_size")); }
        list.Add(new(prefix + "embeddings.word_embeddings.weight", new[] { (long)c.VocabSize, h }, $"{s}.vocab_size, {s}.hidden_size"));
        list.Add(new(prefix + "embeddings.position_embeddings.weight", new[] { (long)c.MaxPositionEmbeddings, h }, $"{s}.max_position_embeddings, {s}.hidden_size"));
        list.Add(new(prefix + "embeddings.token_type_embeddings.weight", new[] { (long)c.TypeVocabSize, h }, $"{s}.type_vocab_size, {s}.hidden_size"));
        Norm(prefix + "embeddings.LayerNorm");
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var l = $"{prefix}encoder.layer.{i}.";
            foreach (var p in new[] { "query", "key", "value" }) Add(list, l + "attention.self." + p, h, h, $"{s}.hidden_size");
            Add(list, l + "attention.output.dense", h, h, $"{s}.hidden_size");
            Norm(l + "attention.output.LayerNorm");
            Add(list, l + "intermediate.dense", c.IntermediateSize, h, $"{s}.intermediate_size, {s}.hidden_size");
            Add(list, l + "output.dense", h, c.IntermediateSize, $"{s}.hidden_size, {s}.intermediate_size");
            Norm(l + "output.LayerNorm");
        }
        Add(list, prefix + "pooler.dense", h, h, $"{s}.hidden_size");
    }

    /// <summary>Buffers HF may save besides the parameters (non-persistent since transformers 4.31, present in older files).</summary>
    public static bool IsKnownBuffer(string name) =>
        name.EndsWith(".embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith(".embeddings.token_type_ids", StringComparison.Ordinal);

    /// <summary>
    /// Compares this config with a checkpoint's tensor shapes. Throws <see cref="Clamp3ConfigException"/> naming the
    /// first tensor whose shape differs (with the config fields that set it), missing tensors, or tensors the config has
    /// no place for (e.g. an extra encoder layer).
    /// </summary>
    public void CheckAgainst(IReadOnlyDictionary<string, long[]> checkpointShapes, string checkpointDescription = "the checkpoint")
    {
        Clamp3CheckpointInspector.RequireClamp3(checkpointShapes, checkpointDescription);
        var expected = ExpectedTensors();
        var missing = new List<string>();
        foreach (var t in expected)
        {
            if (!checkpointShapes.TryGetValue(t.Name, out var actual)) { missing.Add(t.Name); continue; }
            if (!actual.SequenceEqual(t.Shape))
                throw new Clamp3ConfigException(
                    $"{checkpointDescription} does not fit the config ({Source}): tensor '{t.Name}' is [{string.Join(", ", actual)}], the config implies [{string.Join(", ", t.Shape)}] (set by {t.Fields}).");
        }
        if (missing.Count > 0)
            throw new Clamp3ConfigException(
                $"{checkpointDescription} does not fit the config ({Source}): {missing.Count} tensor(s) missing, e.g. {string.Join(", ", missing.Take(8).Select(m => "'" + m + "'"))}{LayerHint(missing)}.");
        var known = expected.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var unexpected = checkpointShapes.Keys.Where(k => !known.Contains(k) && !IsKnownBuffer(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new Clamp3ConfigException(
                $"{checkpointDescription} does not fit the config ({Source}): {unexpected.Count} unexpected tensor(s), e.g. {string.Join(", ", unexpected.Take(8).Select(m => "'" + m + "'"))}{LayerHint(unexpected)}.");
    }

    private static string LayerHint(IEnumerable<string> names)
    {
        var m = names.Select(n => LayerName.Match(n)).FirstOrDefault(x => x.Success);
        if (m is null) return "";
        var section = m.Groups[1].Value switch { "text_model." => "text", "symbolic_model.base." => "symbolic", _ => "audio" };
        return $" (check {section}.num_hidden_layers)";
    }

    private static readonly Regex LayerName = new(@"^(text_model\.|symbolic_model\.base\.|audio_model\.)encoder\.layer\.(\d+)\.", RegexOptions.Compiled);
}
