using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClaMP3.ML.Modeling;

/// <summary>The <c>config.json</c> format, mapped field by field with <see cref="JsonPropertyNameAttribute"/> (as
/// Microsoft.ML.GenAI's configs). Every field is optional here: <see cref="Clamp3Config.FromJson"/> applies the per-section
/// defaults and names a missing required field in its error.</summary>
public sealed record Clamp3ConfigFile
{
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }
    [JsonPropertyName("clamp3_hidden_size")] public int? Clamp3HiddenSize { get; init; }
    [JsonPropertyName("logit_scale")] public double? LogitScale { get; init; }
    [JsonPropertyName("max_text_length")] public int? MaxTextLength { get; init; }
    [JsonPropertyName("text")] public EncoderSection? Text { get; init; }
    [JsonPropertyName("symbolic")] public EncoderSection? Symbolic { get; init; }
    [JsonPropertyName("audio")] public EncoderSection? Audio { get; init; }
    [JsonPropertyName("tokenizer_model")] public string? TokenizerModel { get; init; }

    /// <summary>One encoder: HF BERT/XLM-R field names, plus the segment fields of the symbolic and audio sections.</summary>
    public sealed record EncoderSection
    {
        [JsonPropertyName("hidden_size")] public int? HiddenSize { get; init; }
        [JsonPropertyName("num_hidden_layers")] public int? NumHiddenLayers { get; init; }
        [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; init; }
        [JsonPropertyName("intermediate_size")] public int? IntermediateSize { get; init; }
        [JsonPropertyName("vocab_size")] public int? VocabSize { get; init; }
        [JsonPropertyName("max_position_embeddings")] public int? MaxPositionEmbeddings { get; init; }
        [JsonPropertyName("type_vocab_size")] public int? TypeVocabSize { get; init; }
        [JsonPropertyName("layer_norm_eps")] public double? LayerNormEps { get; init; }
        [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
        [JsonPropertyName("hidden_act")] public string? HiddenAct { get; init; }
        [JsonPropertyName("hidden_dropout_prob")] public double? HiddenDropoutProb { get; init; }
        [JsonPropertyName("attention_probs_dropout_prob")] public double? AttentionProbsDropoutProb { get; init; }
        [JsonPropertyName("position_embedding_type")] public string? PositionEmbeddingType { get; init; }
        [JsonPropertyName("patch_size")] public int? PatchSize { get; init; }
        [JsonPropertyName("patch_length")] public int? PatchLength { get; init; }
        [JsonPropertyName("patch_vocab_size")] public int? PatchVocabSize { get; init; }
        [JsonPropertyName("max_audio_length")] public int? MaxAudioLength { get; init; }
        [JsonPropertyName("feature_dim")] public int? FeatureDim { get; init; }

        internal BertConfig ToBertConfig(string section, int defaultPadTokenId, double defaultEps)
        {
            if (PositionEmbeddingType is not null && PositionEmbeddingType != "absolute")
                throw new Clamp3ConfigException($"{section}.position_embedding_type '{PositionEmbeddingType}' is not supported (only \"absolute\").");
            return new BertConfig
            {
                HiddenSize = Required(HiddenSize, section, "hidden_size"),
                NumHiddenLayers = Required(NumHiddenLayers, section, "num_hidden_layers"),
                NumAttentionHeads = Required(NumAttentionHeads, section, "num_attention_heads"),
                IntermediateSize = Required(IntermediateSize, section, "intermediate_size"),
                VocabSize = VocabSize ?? 1,
                MaxPositionEmbeddings = Required(MaxPositionEmbeddings, section, "max_position_embeddings"),
                TypeVocabSize = TypeVocabSize ?? 2,
                LayerNormEps = LayerNormEps ?? defaultEps,
                PadTokenId = PadTokenId ?? defaultPadTokenId,
                HiddenAct = HiddenAct ?? "gelu",
                HiddenDropoutProb = HiddenDropoutProb ?? 0,
                AttentionProbsDropoutProb = AttentionProbsDropoutProb ?? 0,
            };
        }

        internal static EncoderSection From(BertConfig c) => new()
        {
            HiddenSize = c.HiddenSize, NumHiddenLayers = c.NumHiddenLayers, NumAttentionHeads = c.NumAttentionHeads,
            IntermediateSize = c.IntermediateSize, VocabSize = c.VocabSize, MaxPositionEmbeddings = c.MaxPositionEmbeddings,
            TypeVocabSize = c.TypeVocabSize, LayerNormEps = c.LayerNormEps, PadTokenId = c.PadTokenId, HiddenAct = c.HiddenAct,
            HiddenDropoutProb = c.HiddenDropoutProb, AttentionProbsDropoutProb = c.AttentionProbsDropoutProb, PositionEmbeddingType = "absolute",
        };
    }

    internal static int Required(int? value, string section, string name) =>
        value ?? throw new Clamp3ConfigException($"missing field '{(section == "config" ? name : section + "." + name)}'.");

    internal static EncoderSection RequiredSection(EncoderSection? section, string name) =>
        section ?? throw new Clamp3ConfigException($"missing object field '{name}'.");
}

public sealed partial record Clamp3Config
{
    private static readonly JsonSerializerOptions FileOptions = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

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
        Clamp3ConfigFile file;
        try
        {
            file = JsonSerializer.Deserialize<Clamp3ConfigFile>(json, FileOptions)
                   ?? throw new Clamp3ConfigException("the config must be a JSON object.");
        }
        catch (JsonException e) when (e.Path is null or "$")
        {
            throw new Clamp3ConfigException(e.Message.Contains("could not be converted to ClaMP3", StringComparison.Ordinal)
                ? "the config must be a JSON object." : $"invalid JSON: {e.Message}");
        }
        catch (JsonException e)
        {
            // The path names the field ("$.text.hidden_size"): a string, a fraction or an object where a number belongs.
            throw new Clamp3ConfigException($"field '{e.Path!.TrimStart('$', '.')}' has the wrong type or value (integers and numbers must be JSON numbers): {e.Message}");
        }
        return FromFile(file, baseDirectory, source);
    }

    /// <summary>The mapped file → a validated config (per-section defaults: text pad 1 and eps 1e-5; symbolic and audio pad 0 and eps 1e-12).</summary>
    public static Clamp3Config FromFile(Clamp3ConfigFile file, string? baseDirectory = null, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(file);
        var text = Clamp3ConfigFile.RequiredSection(file.Text, "text");
        var symbolic = Clamp3ConfigFile.RequiredSection(file.Symbolic, "symbolic");
        var audio = Clamp3ConfigFile.RequiredSection(file.Audio, "audio");
        var tokenizer = file.TokenizerModel;
        if (tokenizer is not null && baseDirectory is not null && !Path.IsPathRooted(tokenizer))
            tokenizer = Path.GetFullPath(Path.Combine(baseDirectory, tokenizer));
        if (symbolic.PatchVocabSize is { } patchVocab && patchVocab != PatchVocabSize)
            throw new Clamp3ConfigException($"symbolic.patch_vocab_size {patchVocab} is not supported (the M3 one-hot has {PatchVocabSize} classes).");
        var audioConfig = audio.ToBertConfig("audio", 0, 1e-12);
        if (audio.FeatureDim is { } featureDim && featureDim != audioConfig.HiddenSize)
            throw new Clamp3ConfigException($"audio.feature_dim {featureDim} must equal audio.hidden_size {audioConfig.HiddenSize} (MERT rows go straight in as inputs_embeds).");
        var config = new Clamp3Config
        {
            Clamp3HiddenSize = Clamp3ConfigFile.Required(file.Clamp3HiddenSize, "config", "clamp3_hidden_size"),
            LogitScale = file.LogitScale ?? 1,
            MaxTextLength = Clamp3ConfigFile.Required(file.MaxTextLength, "config", "max_text_length"),
            Text = text.ToBertConfig("text", 1, 1e-5),
            Symbolic = symbolic.ToBertConfig("symbolic", 0, 1e-12),
            PatchSize = Clamp3ConfigFile.Required(symbolic.PatchSize, "symbolic", "patch_size"),
            PatchLength = Clamp3ConfigFile.Required(symbolic.PatchLength, "symbolic", "patch_length"),
            Audio = audioConfig,
            MaxAudioLength = Clamp3ConfigFile.Required(audio.MaxAudioLength, "audio", "max_audio_length"),
            TokenizerModel = tokenizer,
            CheckpointFileName = file.Checkpoint,
            Source = source,
        };
        config.Validate();
        return config;
    }

    /// <summary>This config in the file format (what <see cref="ToJson"/> writes).</summary>
    public Clamp3ConfigFile ToFile() => new()
    {
        Checkpoint = CheckpointFileName,
        Clamp3HiddenSize = Clamp3HiddenSize,
        LogitScale = LogitScale,
        MaxTextLength = MaxTextLength,
        Text = Clamp3ConfigFile.EncoderSection.From(Text),
        Symbolic = Clamp3ConfigFile.EncoderSection.From(Symbolic) with { PatchSize = PatchSize, PatchLength = PatchLength, PatchVocabSize = PatchVocabSize },
        Audio = Clamp3ConfigFile.EncoderSection.From(Audio) with { MaxAudioLength = MaxAudioLength, FeatureDim = AudioFeatureDim },
        TokenizerModel = TokenizerModel,
    };

    /// <summary>Writes this config in the <c>config.json</c> format that <see cref="FromJson"/> reads.</summary>
    public string ToJson() => JsonSerializer.Serialize(ToFile(), FileOptions);
}
