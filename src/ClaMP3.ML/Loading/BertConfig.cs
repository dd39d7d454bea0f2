using System.Text.Json;

namespace ClaMP3.ML.Modeling;

/// <summary>The hyper-parameters of one HF <c>BertModel</c> / <c>XLMRobertaModel</c> encoder, with HF's field names
/// (as in the fixture <c>config.json</c>). Only what changes the computation is kept.</summary>
public sealed record BertConfig
{
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required int TypeVocabSize { get; init; }
    public required double LayerNormEps { get; init; }
    /// <summary>XLM-R derives position ids from it (padding gets position <c>pad</c>, tokens <c>pad+1…</c>); BERT ignores it.</summary>
    public required int PadTokenId { get; init; }
    public string HiddenAct { get; init; } = "gelu";
    /// <summary>Dropout after embeddings, attention output and feed-forward output, active only in train mode. 0 unless
    /// set: CLaMP 3 inference never uses it; the official training runs HF's default 0.1.</summary>
    public double HiddenDropoutProb { get; init; }
    /// <summary>Dropout on the attention probabilities in train mode (HF default 0.1 in official training; 0 unless set).</summary>
    public double AttentionProbsDropoutProb { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Throws <see cref="Clamp3ConfigException"/> naming <paramref name="section"/>'s bad field.</summary>
    public void Validate(string section)
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new Clamp3ConfigException($"{section}.{field} must be positive, got {value}.");
        }
        Positive(HiddenSize, "hidden_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(IntermediateSize, "intermediate_size");
        Positive(VocabSize, "vocab_size");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        Positive(TypeVocabSize, "type_vocab_size");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new Clamp3ConfigException($"{section}.hidden_size {HiddenSize} is not a multiple of {section}.num_attention_heads {NumAttentionHeads}.");
        if (!(LayerNormEps > 0)) throw new Clamp3ConfigException($"{section}.layer_norm_eps must be positive, got {LayerNormEps}.");
        // The official encoders use exact (erf) GELU; anything else would silently compute another function.
        if (HiddenDropoutProb is < 0 or >= 1) throw new Clamp3ConfigException($"{section}.hidden_dropout_prob must be in [0, 1), got {HiddenDropoutProb}.");
        if (AttentionProbsDropoutProb is < 0 or >= 1) throw new Clamp3ConfigException($"{section}.attention_probs_dropout_prob must be in [0, 1), got {AttentionProbsDropoutProb}.");
        if (HiddenAct != "gelu") throw new Clamp3ConfigException($"{section}.hidden_act '{HiddenAct}' is not supported (only \"gelu\").");
    }

    internal static BertConfig FromJson(JsonElement e, string section, int defaultPadTokenId, double defaultEps)
    {
        var positionType = Clamp3Config.OptionalString(e, "position_embedding_type");
        if (positionType is not null && positionType != "absolute")
            throw new Clamp3ConfigException($"{section}.position_embedding_type '{positionType}' is not supported (only \"absolute\").");
        return new BertConfig
        {
            HiddenSize = Clamp3Config.RequiredInt(e, "hidden_size", section),
            NumHiddenLayers = Clamp3Config.RequiredInt(e, "num_hidden_layers", section),
            NumAttentionHeads = Clamp3Config.RequiredInt(e, "num_attention_heads", section),
            IntermediateSize = Clamp3Config.RequiredInt(e, "intermediate_size", section),
            VocabSize = Clamp3Config.OptionalInt(e, "vocab_size", section) ?? 1,
            MaxPositionEmbeddings = Clamp3Config.RequiredInt(e, "max_position_embeddings", section),
            TypeVocabSize = Clamp3Config.OptionalInt(e, "type_vocab_size", section) ?? 2,
            LayerNormEps = Clamp3Config.OptionalDouble(e, "layer_norm_eps", section) ?? defaultEps,
            PadTokenId = Clamp3Config.OptionalInt(e, "pad_token_id", section) ?? defaultPadTokenId,
            HiddenAct = Clamp3Config.OptionalString(e, "hidden_act") ?? "gelu",
            HiddenDropoutProb = Clamp3Config.OptionalDouble(e, "hidden_dropout_prob", section) ?? 0,
            AttentionProbsDropoutProb = Clamp3Config.OptionalDouble(e, "attention_probs_dropout_prob", section) ?? 0,
        };
    }

    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteNumber("hidden_size", HiddenSize);
        w.WriteNumber("num_hidden_layers", NumHiddenLayers);
        w.WriteNumber("num_attention_heads", NumAttentionHeads);
        w.WriteNumber("intermediate_size", IntermediateSize);
        w.WriteNumber("vocab_size", VocabSize);
        w.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
        w.WriteNumber("type_vocab_size", TypeVocabSize);
        w.WriteNumber("layer_norm_eps", LayerNormEps);
        w.WriteNumber("pad_token_id", PadTokenId);
        w.WriteString("hidden_act", HiddenAct);
        w.WriteNumber("hidden_dropout_prob", HiddenDropoutProb);
        w.WriteNumber("attention_probs_dropout_prob", AttentionProbsDropoutProb);
        w.WriteString("position_embedding_type", "absolute");
    }
}

/// <summary>A configuration that is invalid, or that does not fit the checkpoint it is used with.</summary>
public sealed class Clamp3ConfigException : Exception
{
    public Clamp3ConfigException(string message) : base(message) { }
}
