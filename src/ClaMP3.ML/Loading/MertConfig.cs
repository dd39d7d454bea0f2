using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>The MusicHubert (MERT) hyper-parameters, named as in the HF <c>config.json</c>
/// (<c>configuration_musichubert.MusicHubertConfig</c>); defaults are those of that class (= MERT-v1-95M).</summary>
public sealed record MertConfig
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("conv_dim")] public int[] ConvDim { get; init; } = { 512, 512, 512, 512, 512, 512, 512 };
    [JsonPropertyName("conv_kernel")] public int[] ConvKernel { get; init; } = { 10, 3, 3, 3, 3, 2, 2 };
    [JsonPropertyName("conv_stride")] public int[] ConvStride { get; init; } = { 5, 2, 2, 2, 2, 2, 2 };
    [JsonPropertyName("conv_bias")] public bool ConvBias { get; init; }
    /// <summary><c>group</c>: GroupNorm(C, C) on conv layer 0 only; <c>layer</c>: LayerNorm over channels on every conv layer.</summary>
    [JsonPropertyName("feat_extract_norm")] public string FeatExtractNorm { get; init; } = "group";
    [JsonPropertyName("feat_extract_activation")] public string FeatExtractActivation { get; init; } = "gelu";
    [JsonPropertyName("feat_proj_layer_norm")] public bool FeatProjLayerNorm { get; init; } = true;
    [JsonPropertyName("num_conv_pos_embeddings")] public int NumConvPosEmbeddings { get; init; } = 128;
    [JsonPropertyName("num_conv_pos_embedding_groups")] public int NumConvPosEmbeddingGroups { get; init; } = 16;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("do_stable_layer_norm")] public bool DoStableLayerNorm { get; init; }
    [JsonPropertyName("feature_extractor_cqt")] public bool FeatureExtractorCqt { get; init; }
    [JsonPropertyName("deepnorm")] public bool Deepnorm { get; init; }
    [JsonPropertyName("mask_time_prob")] public double MaskTimeProb { get; init; } = 0.05;
    [JsonPropertyName("mask_feature_prob")] public double MaskFeatureProb { get; init; }
    [JsonPropertyName("sample_rate")] public int SampleRate { get; init; } = 24000;

    [JsonIgnore] public int NumFeatExtractLayers => ConvDim.Length;
    [JsonIgnore] public int NumHiddenStates => NumHiddenLayers + 1;
    /// <summary><c>masked_spec_embed</c> exists in the state dict when SpecAugment masking was configured (unused in eval).</summary>
    [JsonIgnore] public bool HasMaskedSpecEmbed => MaskTimeProb > 0 || MaskFeatureProb > 0;

    /// <summary>Number of encoder frames a window of <paramref name="samples"/> samples gives (0 if too short for the CNN).</summary>
    public long FramesFor(long samples)
    {
        long t = samples;
        for (int i = 0; i < ConvKernel.Length; i++)
        {
            if (t < ConvKernel[i]) return 0;
            t = (t - ConvKernel[i]) / ConvStride[i] + 1;
        }
        return t;
    }

    public static MertConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"MERT config not found: {path}", path);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidDataException($"{path}: config.json is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: config.json is not valid JSON: {e.Message}", e);
        }
        return FromJson(json, path);
    }

    public static MertConfig FromJson(JsonObject json, string source = "config.json")
    {
        // A CLaMP 3 config (or any non-HuBERT config) is not a MERT config: say so instead of failing on a missing key.
        if (!json.ContainsKey("conv_dim") || !json.ContainsKey("num_conv_pos_embeddings"))
            throw new InvalidDataException(
                $"{source}: not a MERT/MusicHubert config (no 'conv_dim' / 'num_conv_pos_embeddings'); " +
                "pass the folder of an HF MERT model such as m-a-p/MERT-v1-95M.");
        MertConfig c;
        try
        {
            // Fields map by [JsonPropertyName]; a missing field keeps MusicHubertConfig's default (the initialisers).
            // An explicit null keeps the default too, as HF's from_dict does for the fields it knows.
            var present = new JsonObject(json.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create<string, JsonNode?>(kv.Key, kv.Value!.DeepClone())));
            c = present.Deserialize<MertConfig>(FileOptions) ?? throw new InvalidDataException($"{source}: config.json is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: field '{e.Path?.TrimStart('$', '.')}' has the wrong type (numbers, true/false, strings and lists as in HF's config.json): {e.Message}", e);
        }
        if (json.TryGetPropertyValue("conv_pos_batch_norm", out var bn) && bn is JsonValue v && v.TryGetValue(out bool b) && b)
            throw new NotSupportedException($"{source}: conv_pos_batch_norm=true is not supported (MERT uses the weight-normed positional convolution).");
        c.Validate(source);
        return c;
    }

    /// <summary>Rejects configurations this port does not implement, with the field that causes it.</summary>
    public void Validate(string source = "config")
    {
        if (FeatureExtractorCqt)
            throw new NotSupportedException($"{source}: feature_extractor_cqt=true (the CQT front end of MERT-v0) is not supported; MERT-v1 models use false.");
        if (Deepnorm)
            throw new NotSupportedException($"{source}: deepnorm=true is not supported; MERT-v1 models use false.");
        if (HiddenAct != "gelu")
            throw new NotSupportedException($"{source}: hidden_act '{HiddenAct}' is not supported (only 'gelu').");
        if (FeatExtractActivation != "gelu")
            throw new NotSupportedException($"{source}: feat_extract_activation '{FeatExtractActivation}' is not supported (only 'gelu').");
        if (FeatExtractNorm is not ("group" or "layer"))
            throw new InvalidDataException($"{source}: feat_extract_norm must be 'group' or 'layer', not '{FeatExtractNorm}'.");
        if (ConvDim.Length == 0 || ConvKernel.Length != ConvDim.Length || ConvStride.Length != ConvDim.Length)
            throw new InvalidDataException($"{source}: conv_dim, conv_kernel and conv_stride must have the same non-zero length " +
                                           $"(got {ConvDim.Length}, {ConvKernel.Length}, {ConvStride.Length}).");
        if (ConvDim.Any(x => x <= 0) || ConvKernel.Any(x => x <= 0) || ConvStride.Any(x => x <= 0))
            throw new InvalidDataException($"{source}: conv_dim, conv_kernel and conv_stride must be positive.");
        if (HiddenSize <= 0 || NumHiddenLayers < 0 || NumAttentionHeads <= 0 || IntermediateSize <= 0)
            throw new InvalidDataException($"{source}: hidden_size, num_attention_heads and intermediate_size must be positive.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}.");
        if (NumConvPosEmbeddings <= 0 || NumConvPosEmbeddingGroups <= 0 || HiddenSize % NumConvPosEmbeddingGroups != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} must be divisible by num_conv_pos_embedding_groups {NumConvPosEmbeddingGroups}.");
        if (!(LayerNormEps > 0))
            throw new InvalidDataException($"{source}: layer_norm_eps must be positive.");
    }

    private static readonly JsonSerializerOptions FileOptions = new() { NumberHandling = JsonNumberHandling.Strict };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"MERT hidden {HiddenSize}, {NumHiddenLayers} layers, {NumAttentionHeads} heads, conv [{string.Join(",", ConvDim)}] " +
        $"kernels [{string.Join(",", ConvKernel)}] strides [{string.Join(",", ConvStride)}], {FeatExtractNorm} norm, " +
        $"pos conv {NumConvPosEmbeddings}/{NumConvPosEmbeddingGroups}");
}
