using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>The MusicHubert (MERT) hyper-parameters, named as in the HF <c>config.json</c>
/// (<c>configuration_musichubert.MusicHubertConfig</c>); defaults are those of that class (= MERT-v1-95M).</summary>
public sealed record MertConfig
{
    public int HiddenSize { get; init; } = 768;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 3072;
    public string HiddenAct { get; init; } = "gelu";
    public int[] ConvDim { get; init; } = { 512, 512, 512, 512, 512, 512, 512 };
    public int[] ConvKernel { get; init; } = { 10, 3, 3, 3, 3, 2, 2 };
    public int[] ConvStride { get; init; } = { 5, 2, 2, 2, 2, 2, 2 };
    public bool ConvBias { get; init; }
    /// <summary><c>group</c>: GroupNorm(C, C) on conv layer 0 only; <c>layer</c>: LayerNorm over channels on every conv layer.</summary>
    public string FeatExtractNorm { get; init; } = "group";
    public string FeatExtractActivation { get; init; } = "gelu";
    public bool FeatProjLayerNorm { get; init; } = true;
    public int NumConvPosEmbeddings { get; init; } = 128;
    public int NumConvPosEmbeddingGroups { get; init; } = 16;
    public double LayerNormEps { get; init; } = 1e-5;
    public bool DoStableLayerNorm { get; init; }
    public bool FeatureExtractorCqt { get; init; }
    public bool Deepnorm { get; init; }
    public double MaskTimeProb { get; init; } = 0.05;
    public double MaskFeatureProb { get; init; }
    public int SampleRate { get; init; } = 24000;

    public int NumFeatExtractLayers => ConvDim.Length;
    public int NumHiddenStates => NumHiddenLayers + 1;
    /// <summary><c>masked_spec_embed</c> exists in the state dict when SpecAugment masking was configured (unused in eval).</summary>
    public bool HasMaskedSpecEmbed => MaskTimeProb > 0 || MaskFeatureProb > 0;

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
        var d = new MertConfig();
        var c = new MertConfig
        {
            HiddenSize = Int(json, "hidden_size", d.HiddenSize, source),
            NumHiddenLayers = Int(json, "num_hidden_layers", d.NumHiddenLayers, source),
            NumAttentionHeads = Int(json, "num_attention_heads", d.NumAttentionHeads, source),
            IntermediateSize = Int(json, "intermediate_size", d.IntermediateSize, source),
            HiddenAct = Str(json, "hidden_act", d.HiddenAct, source),
            ConvDim = Ints(json, "conv_dim", d.ConvDim, source),
            ConvKernel = Ints(json, "conv_kernel", d.ConvKernel, source),
            ConvStride = Ints(json, "conv_stride", d.ConvStride, source),
            ConvBias = Bool(json, "conv_bias", d.ConvBias, source),
            FeatExtractNorm = Str(json, "feat_extract_norm", d.FeatExtractNorm, source),
            FeatExtractActivation = Str(json, "feat_extract_activation", d.FeatExtractActivation, source),
            FeatProjLayerNorm = Bool(json, "feat_proj_layer_norm", d.FeatProjLayerNorm, source),
            NumConvPosEmbeddings = Int(json, "num_conv_pos_embeddings", d.NumConvPosEmbeddings, source),
            NumConvPosEmbeddingGroups = Int(json, "num_conv_pos_embedding_groups", d.NumConvPosEmbeddingGroups, source),
            LayerNormEps = Dbl(json, "layer_norm_eps", d.LayerNormEps, source),
            DoStableLayerNorm = Bool(json, "do_stable_layer_norm", d.DoStableLayerNorm, source),
            FeatureExtractorCqt = Bool(json, "feature_extractor_cqt", d.FeatureExtractorCqt, source),
            Deepnorm = Bool(json, "deepnorm", d.Deepnorm, source),
            MaskTimeProb = Dbl(json, "mask_time_prob", d.MaskTimeProb, source),
            MaskFeatureProb = Dbl(json, "mask_feature_prob", d.MaskFeatureProb, source),
            SampleRate = Int(json, "sample_rate", d.SampleRate, source),
        };
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

    private static JsonNode? Get(JsonObject json, string key) => json.TryGetPropertyValue(key, out var n) ? n : null;

    private static int Int(JsonObject json, string key, int fallback, string source)
    {
        var n = Get(json, key);
        if (n is null) return fallback;
        try { return n.GetValue<int>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        { throw new InvalidDataException($"{source}: '{key}' must be an integer, got {n.ToJsonString()}.", e); }
    }

    private static double Dbl(JsonObject json, string key, double fallback, string source)
    {
        var n = Get(json, key);
        if (n is null) return fallback;
        try { return n.GetValue<double>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        { throw new InvalidDataException($"{source}: '{key}' must be a number, got {n.ToJsonString()}.", e); }
    }

    private static bool Bool(JsonObject json, string key, bool fallback, string source)
    {
        var n = Get(json, key);
        if (n is null) return fallback;
        try { return n.GetValue<bool>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        { throw new InvalidDataException($"{source}: '{key}' must be true or false, got {n.ToJsonString()}.", e); }
    }

    private static string Str(JsonObject json, string key, string fallback, string source)
    {
        var n = Get(json, key);
        if (n is null) return fallback;
        try { return n.GetValue<string>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        { throw new InvalidDataException($"{source}: '{key}' must be a string, got {n.ToJsonString()}.", e); }
    }

    private static int[] Ints(JsonObject json, string key, int[] fallback, string source)
    {
        var n = Get(json, key);
        if (n is null) return fallback;
        if (n is not JsonArray a)
            throw new InvalidDataException($"{source}: '{key}' must be a list of integers, got {n.ToJsonString()}.");
        return a.Select(x => x is null ? throw new InvalidDataException($"{source}: '{key}' contains null.")
            : Int(new JsonObject { ["v"] = x.DeepClone() }, "v", 0, $"{source} '{key}'")).ToArray();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"MERT hidden {HiddenSize}, {NumHiddenLayers} layers, {NumAttentionHeads} heads, conv [{string.Join(",", ConvDim)}] " +
        $"kernels [{string.Join(",", ConvKernel)}] strides [{string.Join(",", ConvStride)}], {FeatExtractNorm} norm, " +
        $"pos conv {NumConvPosEmbeddings}/{NumConvPosEmbeddingGroups}");
}
