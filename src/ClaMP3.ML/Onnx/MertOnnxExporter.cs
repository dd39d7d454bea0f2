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

    internal sealed record Source(MertConfig Config, string ConfigPath, StateDict Weights, string WeightsPath, string WeightsSha256);

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
            MertWeightsSha256 = source.WeightsSha256,
            Models = new[] { entry },
        };
        manifest.Write();
        return manifest;
    }

    internal static OnnxModelEntry WriteModel(Source source, string outputDirectory, OnnxPrecision precision)
    {
        var graph = MertOnnxGraph.Build(source.Config, source.Weights, $"MERT weights {source.WeightsPath}", precision == OnnxPrecision.Int8);
        var entry = OnnxFiles.WriteModel(outputDirectory, "mert", graph.ToModel(OnnxExportManifest.ExporterVersion, Clamp3OnnxExporter.Metadata(precision)));
        OnnxFiles.WriteAtomically(Path.Combine(outputDirectory, ConfigFile), s => { using var f = File.OpenRead(source.ConfigPath); f.CopyTo(s); });
        return entry;
    }

    /// <summary>Reads config and weights of a MERT folder (or of a weights file inside one), names normalised.</summary>
    internal static Source ReadSource(string mertDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(mertDirectory);
        string dir = mertDirectory;
        string? weights = null;
        if (File.Exists(mertDirectory)) { weights = Path.GetFullPath(mertDirectory); dir = Path.GetDirectoryName(weights)!; }
        else if (!Directory.Exists(mertDirectory)) throw new DirectoryNotFoundException($"MERT model folder not found: {mertDirectory}");
        var configPath = Path.Combine(dir, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{dir} has no config.json: a MERT model folder needs the HF config.json beside its weights.", configPath);
        var config = MertConfig.Load(configPath);
        weights ??= WeightFiles.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists)
                    ?? throw new FileNotFoundException($"{dir} has no MERT weights: expected {string.Join(" or ", WeightFiles)}.");
        var state = Normalize(CheckpointReader.Read(weights), weights);
        return new Source(config, configPath, state, weights, OnnxExportManifest.Sha256Of(weights));
    }

    /// <summary>Maps the names different torch/transformers versions write onto the HF names (prefixes of head models,
    /// torch ≥ 2.1 weight-norm parametrizations). No TorchSharp: plain arrays only.</summary>
    internal static StateDict Normalize(StateDict stateDict, string path)
    {
        var keys = stateDict.Keys.ToList();
        if (keys.Any(k => k.StartsWith("audio_model.", StringComparison.Ordinal) || k.StartsWith("text_model.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{path} is a CLaMP 3 checkpoint, not a MERT model; pass the MERT folder (config.json + weights).");
        foreach (var prefix in new[] { "music_hubert.", "hubert.", "mert." })
            if (!keys.Any(k => k.StartsWith("feature_extractor.", StringComparison.Ordinal)) && keys.Any(k => k.StartsWith(prefix + "feature_extractor.", StringComparison.Ordinal)))
            {
                stateDict = stateDict.WithPrefixRemoved(prefix);
                break;
            }
        if (!stateDict.Keys.Any(k => k.StartsWith("feature_extractor.conv_layers.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{path} does not hold a MERT/HuBERT model (no feature_extractor.conv_layers.* tensors).");
        var renamed = stateDict.Select(kv => new KeyValuePair<string, CheckpointTensor>(kv.Key switch
        {
            PosConv + "parametrizations.weight.original0" => PosConv + "weight_g",
            PosConv + "parametrizations.weight.original1" => PosConv + "weight_v",
            _ => kv.Key,
        }, kv.Value));
        return new StateDict(renamed, stateDict.SourcePath, stateDict.Metadata);
    }
}
