using ClaMP3.ML.IO;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling.Mert;

namespace ClaMP3.ML.Onnx;

/// <summary>Writes an HF MERT folder (<c>config.json</c> + <c>model.safetensors</c> or <c>pytorch_model.bin</c>) as
/// <c>mert.onnx</c> (<see cref="MertOnnxGraph"/>) with a copy of its config (<c>mert_config.json</c>).</summary>
public static class MertOnnxExporter
{
    public const string ConfigFile = "mert_config.json";
    private static readonly string[] WeightFiles = { "model.safetensors", "pytorch_model.bin" };
    private const string PosConv = "encoder.pos_conv_embed.conv.";

    internal sealed record Source(MertConfig Config, string ConfigPath, StateDict Weights, string WeightsPath);

    /// <summary>A MERT-only export folder (manifest without CLaMP 3 models).</summary>
    public static OnnxExportManifest Export(string mertDirectory, string outputDirectory, OnnxPrecision precision = OnnxPrecision.Float32)
    {
        var source = ReadSource(mertDirectory);
        Directory.CreateDirectory(outputDirectory);
        var entry = WriteModel(source, outputDirectory, precision);
        var manifest = new OnnxExportManifest
        {
            Directory = outputDirectory,
            Precision = precision,
            Opset = OnnxGraph.Opset,
            ExporterVersionWritten = OnnxExportManifest.ExporterVersion,
            MertConfigFile = ConfigFile,
            MertWeightsSha256 = SafeArchive.Sha256(source.WeightsPath),
            Models = new[] { entry },
        };
        manifest.Write();
        return manifest;
    }

    /// <summary>Writes a MERT ONNX model from tensors in memory (HF names), without a manifest (e.g. for a benchmark).</summary>
    public static void ExportModel(MertConfig config, IReadOnlyDictionary<string, CheckpointTensor> weights, OnnxPrecision precision, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var graph = MertOnnxGraph.Build(config, weights, "weights in memory", precision == OnnxPrecision.Int8);
        AtomicFile.Write(path, graph.ToModel(OnnxExportManifest.ExporterVersion, Clamp3OnnxExporter.Metadata(precision)).WriteTo);
    }

    /// <summary>Every tensor of a MusicHubert model for <paramref name="c"/> (HF names and shapes).</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ExpectedTensors(MertConfig c)
    {
        var list = new List<(string, long[])>();
        long h = c.HiddenSize;
        void Norm(string p, long n) { list.Add((p + ".weight", new[] { n })); list.Add((p + ".bias", new[] { n })); }
        void Linear(string p, long outSize, long inSize) { list.Add((p + ".weight", new[] { outSize, inSize })); list.Add((p + ".bias", new[] { outSize })); }
        if (c.HasMaskedSpecEmbed) list.Add(("masked_spec_embed", new[] { h }));
        for (int i = 0; i < c.NumFeatExtractLayers; i++)
        {
            var p = $"feature_extractor.conv_layers.{i}.";
            list.Add((p + "conv.weight", new long[] { c.ConvDim[i], i == 0 ? 1 : c.ConvDim[i - 1], c.ConvKernel[i] }));
            if (c.ConvBias) list.Add((p + "conv.bias", new long[] { c.ConvDim[i] }));
            if (c.FeatExtractNorm == "layer" || i == 0) Norm(p + "layer_norm", c.ConvDim[i]);
        }
        if (c.FeatProjLayerNorm) Norm("feature_projection.layer_norm", c.ConvDim[^1]);
        Linear("feature_projection.projection", h, c.ConvDim[^1]);
        list.Add((PosConv + "bias", new[] { h }));
        list.Add((PosConv + "weight_g", new long[] { 1, 1, c.NumConvPosEmbeddings }));
        list.Add((PosConv + "weight_v", new long[] { h, h / c.NumConvPosEmbeddingGroups, c.NumConvPosEmbeddings }));
        Norm("encoder.layer_norm", h);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"encoder.layers.{i}.";
            foreach (var proj in new[] { "k_proj", "v_proj", "q_proj", "out_proj" }) Linear(p + "attention." + proj, h, h);
            Norm(p + "layer_norm", h);
            Linear(p + "feed_forward.intermediate_dense", c.IntermediateSize, h);
            Linear(p + "feed_forward.output_dense", h, c.IntermediateSize);
            Norm(p + "final_layer_norm", h);
        }
        return list;
    }

    /// <summary>Refuses tensors the config has no place for (e.g. an extra layer: the config and weights disagree).</summary>
    private static void RequireNoUnexpected(MertConfig config, StateDict weights, string path)
    {
        var known = ExpectedTensors(config).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        known.Add("masked_spec_embed");
        known.Add(PosConv + "weight");
        var unexpected = weights.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new OnnxExportException($"{path}: {unexpected.Count} tensor(s) the config has no place for, e.g. '{unexpected[0]}' " +
                                          $"(the config says {config.NumHiddenLayers} layers and {config.NumFeatExtractLayers} conv layers; check config.json).");
    }

    internal static OnnxModelEntry WriteModel(Source source, string outputDirectory, OnnxPrecision precision)
    {
        var graph = MertOnnxGraph.Build(source.Config, source.Weights, $"MERT weights {source.WeightsPath}", precision == OnnxPrecision.Int8);
        var entry = OnnxFiles.WriteModel(outputDirectory, "mert", graph.ToModel(OnnxExportManifest.ExporterVersion, Clamp3OnnxExporter.Metadata(precision)));
        AtomicFile.Copy(source.ConfigPath, Path.Combine(outputDirectory, ConfigFile));
        return entry;
    }

    /// <summary>The weights file of a MERT folder (or the file itself when a file is given).</summary>
    public static string WeightsFile(string mertDirectory) => File.Exists(mertDirectory) ? mertDirectory : WeightsIn(mertDirectory);

    private static string WeightsIn(string directory) =>
        WeightFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException($"{directory} has no MERT weights: expected {string.Join(" or ", WeightFiles)}.");

    /// <summary>The config (path and parsed) and the weights file of a MERT folder, or of a weights file inside one. A
    /// non-MERT config (e.g. a CLaMP 3 folder) is reported before looking for weights. Shared with the TorchSharp loader.</summary>
    internal static (string ConfigPath, MertConfig Config, string WeightsPath) ResolveFolder(string mertDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(mertDirectory);
        string dir = mertDirectory;
        string? weights = null;
        if (File.Exists(mertDirectory)) { weights = Path.GetFullPath(mertDirectory); dir = Path.GetDirectoryName(weights)!; }
        else if (!Directory.Exists(mertDirectory)) throw new DirectoryNotFoundException($"MERT model folder not found: {mertDirectory}");
        var configPath = Path.Combine(dir, "config.json");
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{dir} has no config.json: a MERT model folder needs the HF config.json beside its weights " +
                                            "(e.g. a download of m-a-p/MERT-v1-95M).", configPath);
        var config = MertConfig.Load(configPath);
        weights ??= WeightsIn(dir);
        return (configPath, config, weights);
    }

    /// <summary>Reads config and weights of a MERT folder (or of a weights file inside one), names normalised.</summary>
    internal static Source ReadSource(string mertDirectory)
    {
        var (configPath, config, weights) = ResolveFolder(mertDirectory);
        var state = Normalize(CheckpointReader.Read(weights), weights);
        RequireNoUnexpected(config, state, weights);
        return new Source(config, configPath, state, weights);
    }

    /// <summary>Maps the names different torch/transformers versions write onto the HF names (prefixes of head models,
    /// torch ≥ 2.1 weight-norm parametrizations). No TorchSharp: plain arrays only. Shared with the TorchSharp loader.</summary>
    internal static StateDict Normalize(StateDict stateDict, string path)
    {
        var keys = stateDict.Keys.ToList();
        if (keys.Any(k => k.StartsWith("audio_model.", StringComparison.Ordinal) || k.StartsWith("text_model.", StringComparison.Ordinal)
                          || k.StartsWith("symbolic_model.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{path} is a CLaMP 3 checkpoint, not a MERT model; pass the MERT folder " +
                                           "(config.json + pytorch_model.bin or model.safetensors) as the MERT model.");
        // Head models (e.g. a saved MusicHubertForCTC) prefix the base model's names.
        foreach (var prefix in new[] { "music_hubert.", "hubert.", "mert." })
            if (!keys.Any(k => k.StartsWith("feature_extractor.", StringComparison.Ordinal)) && keys.Any(k => k.StartsWith(prefix + "feature_extractor.", StringComparison.Ordinal)))
            {
                stateDict = stateDict.WithPrefixRemoved(prefix);
                keys = stateDict.Keys.ToList();
                break;
            }
        if (!keys.Any(k => k.StartsWith("feature_extractor.conv_layers.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{path} does not hold a MERT/HuBERT model (no feature_extractor.conv_layers.* tensors; " +
                                           $"first names: {string.Join(", ", keys.Take(5))}).");
        var renamed = stateDict.Select(kv => new KeyValuePair<string, CheckpointTensor>(kv.Key switch
        {
            PosConv + "parametrizations.weight.original0" => PosConv + "weight_g",
            PosConv + "parametrizations.weight.original1" => PosConv + "weight_v",
            _ => kv.Key,
        }, kv.Value));
        return new StateDict(renamed, stateDict.SourcePath, stateDict.Metadata);
    }
}
