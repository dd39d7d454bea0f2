using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Modeling;

/// <summary>
/// Every hyper-parameter of a CLaMP 3 model (<c>CLaMP3Model</c> of the official <c>code/utils.py</c>): the XLM-R text
/// encoder, the M3 patch encoder (BERT over patches), the audio BERT over MERT features, the shared projection size
/// and the segment lengths <c>extract_feature</c> chunks inputs into.
/// </summary>
/// <remarks>
/// Two sources: <see cref="Load"/> reads the fixture <c>config.json</c> format (HF field names per encoder);
/// <see cref="Infer"/> derives everything from a state dict's tensor shapes plus the official conventions
/// (heads = hidden/64, XLM-R eps 1e-5, BERT eps 1e-12, pad 1, MAX_TEXT_LENGTH 128), so an official checkpoint needs
/// no config. <see cref="CheckAgainst"/> compares a config with a checkpoint and names the tensor and field that differ.
/// </remarks>
public sealed record Clamp3Config
{
    /// <summary>Characters per patch position of the M3 one-hot input (<c>num_classes=128</c> in the official code).</summary>
    public const int PatchVocabSize = 128;
    /// <summary>Official MAX_TEXT_LENGTH (code/config.py), used when neither a config nor the file name says otherwise.</summary>
    public const int OfficialMaxTextLength = 128;
    private const int OfficialHeadDim = 64;

    /// <summary>Output size of <c>text_proj</c>, <c>symbolic_proj</c> and <c>audio_proj</c> (CLAMP3_HIDDEN_SIZE).</summary>
    public required int Clamp3HiddenSize { get; init; }
    public double LogitScale { get; init; } = 1;
    /// <summary>Tokens per text segment (MAX_TEXT_LENGTH).</summary>
    public required int MaxTextLength { get; init; }
    public required BertConfig Text { get; init; }
    public required BertConfig Symbolic { get; init; }
    /// <summary>Characters per patch, including the patch's BOS/EOS ids (PATCH_SIZE).</summary>
    public required int PatchSize { get; init; }
    /// <summary>Patches per symbolic segment (PATCH_LENGTH).</summary>
    public required int PatchLength { get; init; }
    public required BertConfig Audio { get; init; }
    /// <summary>Feature rows per audio segment (MAX_AUDIO_LENGTH). Rows are MERT features of width <c>Audio.HiddenSize</c>.</summary>
    public required int MaxAudioLength { get; init; }
    /// <summary>The sentencepiece model named by the config file (resolved to an absolute path), if any.</summary>
    public string? TokenizerModel { get; init; }
    /// <summary>The checkpoint file name the config file was written for (its <c>checkpoint</c> field), if any.</summary>
    public string? CheckpointFileName { get; init; }
    /// <summary>Where these values came from, for messages ("config.json at …", "inferred from …").</summary>
    public string Source { get; init; } = "code";

    /// <summary>Width of the audio input rows: the audio BERT takes them directly as <c>inputs_embeds</c>.</summary>
    public int AudioFeatureDim => Audio.HiddenSize;

    /// <summary>The official CLaMP 3 sizes (xlm-roberta-base, M3 768/12 with patch 64 × 512, audio 768/12 × 128).</summary>
    public static Clamp3Config Official() => new()
    {
        Clamp3HiddenSize = 768,
        MaxTextLength = OfficialMaxTextLength,
        Text = new BertConfig
        {
            HiddenSize = 768, NumHiddenLayers = 12, NumAttentionHeads = 12, IntermediateSize = 3072, VocabSize = 250002,
            MaxPositionEmbeddings = 514, TypeVocabSize = 1, LayerNormEps = 1e-5, PadTokenId = 1,
        },
        Symbolic = OfficialBert(512),
        PatchSize = 64,
        PatchLength = 512,
        Audio = OfficialBert(128),
        MaxAudioLength = 128,
        Source = "official sizes",
    };

    private static BertConfig OfficialBert(int maxPositions) => new()
    {
        HiddenSize = 768, NumHiddenLayers = 12, NumAttentionHeads = 12, IntermediateSize = 3072, VocabSize = 1,
        MaxPositionEmbeddings = maxPositions, TypeVocabSize = 2, LayerNormEps = 1e-12, PadTokenId = 0,
    };

    /// <summary>Checks the values are usable together; throws <see cref="Clamp3ConfigException"/> naming the field.</summary>
    public void Validate()
    {
        Text.Validate("text");
        Symbolic.Validate("symbolic");
        Audio.Validate("audio");
        if (Clamp3HiddenSize <= 0) throw new Clamp3ConfigException($"clamp3_hidden_size must be positive, got {Clamp3HiddenSize} ({Source}).");
        if (MaxTextLength <= 0) throw new Clamp3ConfigException($"max_text_length must be positive, got {MaxTextLength} ({Source}).");
        // XLM-R numbers real tokens from pad+1, so a full segment of L tokens uses position rows up to pad+L.
        if (Text.PadTokenId + MaxTextLength >= Text.MaxPositionEmbeddings)
            throw new Clamp3ConfigException(
                $"max_text_length {MaxTextLength} needs text.max_position_embeddings ≥ {Text.PadTokenId + MaxTextLength + 1} (XLM-R positions start at pad_token_id+1), got {Text.MaxPositionEmbeddings} ({Source}).");
        if (PatchSize < 2) throw new Clamp3ConfigException($"symbolic.patch_size must be at least 2, got {PatchSize} ({Source}).");
        if (PatchLength <= 0 || PatchLength > Symbolic.MaxPositionEmbeddings)
            throw new Clamp3ConfigException($"symbolic.patch_length {PatchLength} must be in 1..symbolic.max_position_embeddings ({Symbolic.MaxPositionEmbeddings}) ({Source}).");
        if (MaxAudioLength <= 0 || MaxAudioLength > Audio.MaxPositionEmbeddings)
            throw new Clamp3ConfigException($"audio.max_audio_length {MaxAudioLength} must be in 1..audio.max_position_embeddings ({Audio.MaxPositionEmbeddings}) ({Source}).");
    }

    // ------------------------------------------------------------------ config.json

    /// <summary>Reads the fixture <c>config.json</c> format. <c>tokenizer_model</c> is resolved relative to the file.</summary>
    public static Clamp3Config Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLaMP 3 config not found: {path}", path);
        string json;
        try { json = File.ReadAllText(path, new UTF8Encoding(false, true)); }
        catch (DecoderFallbackException e) { throw new Clamp3ConfigException($"{path}: not UTF-8 text ({e.Message})."); }
        try { return FromJson(json, Path.GetDirectoryName(Path.GetFullPath(path)), $"config {path}"); }
        catch (Clamp3ConfigException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new Clamp3ConfigException($"{path}: {e.Message}");
        }
    }

    /// <summary>Parses the <c>config.json</c> format; relative <c>tokenizer_model</c> paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static Clamp3Config FromJson(string json, string? baseDirectory = null, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new Clamp3ConfigException($"invalid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new Clamp3ConfigException("the config must be a JSON object.");
            var text = RequiredObject(root, "text");
            var symbolic = RequiredObject(root, "symbolic");
            var audio = RequiredObject(root, "audio");
            var tokenizer = OptionalString(root, "tokenizer_model");
            if (tokenizer is not null && baseDirectory is not null && !Path.IsPathRooted(tokenizer))
                tokenizer = Path.GetFullPath(Path.Combine(baseDirectory, tokenizer));
            var patchVocab = OptionalInt(symbolic, "patch_vocab_size", "symbolic");
            if (patchVocab is not null && patchVocab != PatchVocabSize)
                throw new Clamp3ConfigException($"symbolic.patch_vocab_size {patchVocab} is not supported (the M3 one-hot has {PatchVocabSize} classes).");
            var audioConfig = BertConfig.FromJson(audio, "audio", 0, 1e-12);
            var featureDim = OptionalInt(audio, "feature_dim", "audio");
            if (featureDim is not null && featureDim != audioConfig.HiddenSize)
                throw new Clamp3ConfigException($"audio.feature_dim {featureDim} must equal audio.hidden_size {audioConfig.HiddenSize} (MERT rows go straight in as inputs_embeds).");
            var config = new Clamp3Config
            {
                Clamp3HiddenSize = RequiredInt(root, "clamp3_hidden_size", "config"),
                LogitScale = OptionalDouble(root, "logit_scale", "config") ?? 1,
                MaxTextLength = RequiredInt(root, "max_text_length", "config"),
                Text = BertConfig.FromJson(text, "text", 1, 1e-5),
                Symbolic = BertConfig.FromJson(symbolic, "symbolic", 0, 1e-12),
                PatchSize = RequiredInt(symbolic, "patch_size", "symbolic"),
                PatchLength = RequiredInt(symbolic, "patch_length", "symbolic"),
                Audio = audioConfig,
                MaxAudioLength = RequiredInt(audio, "max_audio_length", "audio"),
                TokenizerModel = tokenizer,
                CheckpointFileName = OptionalString(root, "checkpoint"),
                Source = source,
            };
            config.Validate();
            return config;
        }
    }

    /// <summary>Writes this config in the <c>config.json</c> format that <see cref="FromJson"/> reads.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            if (CheckpointFileName is not null) w.WriteString("checkpoint", CheckpointFileName);
            w.WriteNumber("clamp3_hidden_size", Clamp3HiddenSize);
            w.WriteNumber("logit_scale", LogitScale);
            w.WriteNumber("max_text_length", MaxTextLength);
            w.WriteStartObject("text"); Text.WriteJson(w); w.WriteEndObject();
            w.WriteStartObject("symbolic"); Symbolic.WriteJson(w);
            w.WriteNumber("patch_size", PatchSize); w.WriteNumber("patch_length", PatchLength);
            w.WriteNumber("patch_vocab_size", PatchVocabSize); w.WriteEndObject();
            w.WriteStartObject("audio"); Audio.WriteJson(w);
            w.WriteNumber("max_audio_length", MaxAudioLength); w.WriteNumber("feature_dim", AudioFeatureDim); w.WriteEndObject();
            if (TokenizerModel is not null) w.WriteString("tokenizer_model", TokenizerModel);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    internal static JsonElement RequiredObject(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Object)
            throw new Clamp3ConfigException($"missing object field '{name}'.");
        return v;
    }

    internal static int RequiredInt(JsonElement e, string name, string section) =>
        OptionalInt(e, name, section) ?? throw new Clamp3ConfigException($"missing field '{Qualified(section, name)}'.");

    internal static int? OptionalInt(JsonElement e, string name, string section)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw new Clamp3ConfigException($"field '{Qualified(section, name)}' must be an integer, got {v.GetRawText()}.");
        return i;
    }

    internal static double? OptionalDouble(JsonElement e, string name, string section)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new Clamp3ConfigException($"field '{Qualified(section, name)}' must be a number, got {v.GetRawText()}.");
        return v.GetDouble();
    }

    internal static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Qualified(string section, string name) => section == "config" ? name : section + "." + name;

    // ------------------------------------------------------------------ the state dict it implies

    /// <summary>One tensor the model holds: its state-dict name, shape, and the config fields that set the shape.</summary>
    public sealed record ExpectedTensor(string Name, long[] Shape, string Fields);

    /// <summary>Every parameter of <see cref="Clamp3Model"/> for this config, in the official state dict's order.</summary>
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

    // ------------------------------------------------------------------ inference from shapes

    /// <summary>
    /// Derives the config from a CLaMP 3 state dict's shapes plus the official conventions: layers and sizes from the
    /// tensors; heads = hidden / 64; XLM-R eps 1e-5 and pad 1; BERT eps 1e-12; patch size = patch_embedding width / 128;
    /// PATCH_LENGTH and MAX_AUDIO_LENGTH = the position tables' rows; MAX_TEXT_LENGTH = 128 (config.py) unless the
    /// position table is smaller. Official file names (<c>…_t_length_128_…_p_size_64_p_length_512.pth</c>) override the
    /// segment lengths they state.
    /// </summary>
    public static Clamp3Config Infer(IReadOnlyDictionary<string, long[]> shapes, string? checkpointFileName = null)
    {
        var description = checkpointFileName is null ? "the checkpoint" : $"checkpoint {checkpointFileName}";
        Clamp3CheckpointInspector.RequireClamp3(shapes, description);
        long[] Shape(string name, int rank)
        {
            if (!shapes.TryGetValue(name, out var s))
                throw new InvalidDataException($"not a complete CLaMP 3 checkpoint: {description} has no '{name}'.");
            if (s.Length != rank) throw new InvalidDataException($"{description}: tensor '{name}' has rank {s.Length}, expected {rank}.");
            return s;
        }
        int Layers(string prefix)
        {
            var rx = new Regex("^" + Regex.Escape(prefix) + @"encoder\.layer\.(\d+)\.");
            var indices = shapes.Keys.Select(k => rx.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            if (indices.Count == 0) throw new InvalidDataException($"not a complete CLaMP 3 checkpoint: {description} has no '{prefix}encoder.layer.0.*' tensors.");
            return indices.Max() + 1;
        }
        int Heads(int hidden, string section)
        {
            if (hidden % OfficialHeadDim != 0)
                throw new Clamp3ConfigException(
                    $"cannot infer {section}.num_attention_heads from {description}: hidden size {hidden} is not a multiple of 64 (the official rule is hidden/64). Pass a config.json.");
            return hidden / OfficialHeadDim;
        }
        BertConfig Encoder(string prefix, string section, double eps, int pad)
        {
            var word = Shape(prefix + "embeddings.word_embeddings.weight", 2);
            var pos = Shape(prefix + "embeddings.position_embeddings.weight", 2);
            var type = Shape(prefix + "embeddings.token_type_embeddings.weight", 2);
            var inter = Shape(prefix + "encoder.layer.0.intermediate.dense.weight", 2);
            int hidden = checked((int)word[1]);
            return new BertConfig
            {
                HiddenSize = hidden,
                NumHiddenLayers = Layers(prefix),
                NumAttentionHeads = Heads(hidden, section),
                IntermediateSize = checked((int)inter[0]),
                VocabSize = checked((int)word[0]),
                MaxPositionEmbeddings = checked((int)pos[0]),
                TypeVocabSize = checked((int)type[0]),
                LayerNormEps = eps,
                PadTokenId = pad,
            };
        }

        var text = Encoder("text_model.", "text", 1e-5, 1);
        var symbolic = Encoder("symbolic_model.base.", "symbolic", 1e-12, 0);
        var audio = Encoder("audio_model.", "audio", 1e-12, 0);
        var patchEmbedding = Shape("symbolic_model.patch_embedding.weight", 2);
        if (patchEmbedding[1] % PatchVocabSize != 0)
            throw new InvalidDataException($"{description}: symbolic_model.patch_embedding.weight is [{patchEmbedding[0]}, {patchEmbedding[1]}]; its width must be patch_size × 128.");
        var projection = Shape("text_proj.weight", 2);

        int? FromName(string key)
        {
            if (checkpointFileName is null) return null;
            var m = Regex.Match(Path.GetFileName(checkpointFileName), "_" + key + @"_(\d+)(?=[_.])");
            return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        int maxTextByTable = text.MaxPositionEmbeddings - text.PadTokenId - 1;
        int maxText = FromName("t_length") is int t && t <= maxTextByTable ? t : Math.Min(OfficialMaxTextLength, maxTextByTable);
        int patchLength = FromName("p_length") is int p && p <= symbolic.MaxPositionEmbeddings ? p : symbolic.MaxPositionEmbeddings;
        int audioLength = FromName("a_length") is int a && a <= audio.MaxPositionEmbeddings ? a : audio.MaxPositionEmbeddings;

        var config = new Clamp3Config
        {
            Clamp3HiddenSize = checked((int)projection[0]),
            MaxTextLength = maxText,
            Text = text,
            Symbolic = symbolic,
            PatchSize = checked((int)(patchEmbedding[1] / PatchVocabSize)),
            PatchLength = patchLength,
            Audio = audio,
            MaxAudioLength = audioLength,
            CheckpointFileName = checkpointFileName is null ? null : Path.GetFileName(checkpointFileName),
            Source = "inferred from " + description,
        };
        config.Validate();
        config.CheckAgainst(shapes, description);
        return config;
    }
}

/// <summary>Recognises what kind of checkpoint a state dict is, for clear errors when the wrong file is passed.</summary>
public static class Clamp3CheckpointInspector
{
    /// <summary>Throws <see cref="InvalidDataException"/> ("not a CLaMP 3 checkpoint: …") unless the keys look like CLaMP 3's.</summary>
    public static void RequireClamp3(IReadOnlyDictionary<string, long[]> shapes, string description)
    {
        bool Has(string prefix) => shapes.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        if (Has("text_model.") && Has("symbolic_model.") && Has("audio_model.")) return;
        var sample = string.Join(", ", shapes.Keys.Take(3).Select(k => "'" + k + "'"));
        var kind = Has("feature_extractor.conv_layers.") || Has("encoder.pos_conv_embed.") ? " It looks like a MERT (MusicHubert) checkpoint; use it with `clamp3 mert`."
            : Has("encoder.layer.") && Has("embeddings.") ? " It looks like a bare BERT/XLM-R encoder."
            : Has("encoder.") && Has("decoder.") ? " It looks like an M3 (encoder/decoder) checkpoint."
            : "";
        var missing = new[] { "text_model.", "symbolic_model.", "audio_model." }.Where(p => !Has(p)).Select(p => p + "*");
        throw new InvalidDataException(
            $"not a CLaMP 3 checkpoint: {description} has no {string.Join(" / ", missing)} keys ({shapes.Count} tensors{(shapes.Count > 0 ? ", e.g. " + sample : "")}).{kind}");
    }
}
