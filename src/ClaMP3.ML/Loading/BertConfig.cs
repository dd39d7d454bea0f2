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
        if (HiddenDropoutProb is < 0 or >= 1) throw new Clamp3ConfigException($"{section}.hidden_dropout_prob must be in [0, 1), got {HiddenDropoutProb}.");
        if (AttentionProbsDropoutProb is < 0 or >= 1) throw new Clamp3ConfigException($"{section}.attention_probs_dropout_prob must be in [0, 1), got {AttentionProbsDropoutProb}.");
        // The official encoders use exact (erf) GELU; anything else would silently compute another function.
        if (HiddenAct != "gelu") throw new Clamp3ConfigException($"{section}.hidden_act '{HiddenAct}' is not supported (only \"gelu\").");
    }
}
