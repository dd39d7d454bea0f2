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
/// Files: this one (values, validation), <c>Clamp3Config.Json.cs</c> (the file format, mapped by attributes in
/// <see cref="Clamp3ConfigFile"/>), <c>Clamp3Config.Layout.cs</c> (the tensors a config implies),
/// <c>Clamp3Config.Infer.cs</c> (a config from tensor shapes); which config a checkpoint gets: <c>Clamp3ConfigResolver</c>.
/// </remarks>
public sealed partial record Clamp3Config
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

    /// <summary><see cref="TokenizerModel"/> when that file exists, else null: the config's tokenizer is a default that
    /// callers use only when it is there (a checkpoint used for scores or audio needs none).</summary>
    public string? ExistingTokenizerModel => TokenizerModel is { } path && File.Exists(path) ? path : null;
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
}
