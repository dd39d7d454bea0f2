using ClaMP3.ML.IO;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// Writes a CLaMP 3 checkpoint as ONNX models (opset 17, dynamic batch and length axes, weights as initializers):
/// <c>text.onnx</c>, <c>symbolic.onnx</c>, <c>audio.onnx</c> (see <see cref="Clamp3OnnxGraphs"/>), optionally
/// <c>mert.onnx</c>, plus <c>config.json</c>, the tokenizer model named by the config (copied) and <c>manifest.json</c>.
/// The same checkpoint gives the same bytes.
/// </summary>
public static class Clamp3OnnxExporter
{
    /// <param name="checkpointPath">An official CLaMP 3 checkpoint (<c>.pth</c>), a bare state dict or <c>.safetensors</c>.</param>
    /// <param name="outputDirectory">Created if needed; existing model files are replaced.</param>
    /// <param name="configPath">A <c>config.json</c>; default: a sibling naming the checkpoint, else inferred from the tensors.</param>
    /// <param name="mertDirectory">An HF MERT folder to export as <c>mert.onnx</c> too.</param>
    /// <exception cref="OnnxExportException">A tensor is missing, mis-shaped, not floating point or not finite (named).</exception>
    public static OnnxExportManifest Export(string checkpointPath, string outputDirectory, string? configPath = null,
        OnnxPrecision precision = OnnxPrecision.Float32, string? mertDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        var (stateDict, config) = ReadCheckpoint(checkpointPath, configPath);
        // Read the MERT folder before writing anything, so a bad one leaves no half export.
        var mert = mertDirectory is null ? null : MertOnnxExporter.ReadSource(mertDirectory);
        Directory.CreateDirectory(outputDirectory);

        var source = $"checkpoint {checkpointPath}";
        bool int8 = precision == OnnxPrecision.Int8;
        var metadata = Metadata(precision);
        var models = Encoders.Select(m => OnnxFiles.WriteModel(outputDirectory, ModelKey(m),
            Clamp3OnnxGraphs.For(m, config, stateDict, source, int8).ToModel(OnnxExportManifest.ExporterVersion, metadata))).ToList();
        var tokenizer = CopyTokenizer(config, outputDirectory);
        var written = config with { TokenizerModel = tokenizer, CheckpointFileName = Path.GetFileName(checkpointPath) };
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, ConfigFile), written.ToJson());
        string? mertConfig = null, mertSha = null;
        if (mert is not null)
        {
            models.Add(MertOnnxExporter.WriteModel(mert, outputDirectory, precision));
            (mertConfig, mertSha) = (MertOnnxExporter.ConfigFile, SafeArchive.Sha256(mert.WeightsPath));
        }
        var manifest = new OnnxExportManifest
        {
            Directory = outputDirectory,
            Precision = precision,
            Opset = OnnxGraph.Opset,
            ExporterVersionWritten = OnnxExportManifest.ExporterVersion,
            CheckpointFile = Path.GetFileName(checkpointPath),
            CheckpointSha256 = SafeArchive.Sha256(checkpointPath),
            ConfigFile = ConfigFile,
            MertConfigFile = mertConfig,
            MertWeightsSha256 = mertSha,
            Models = models,
        };
        manifest.Write();
        return manifest;
    }

    public const string ConfigFile = "config.json";

    /// <summary>The encoders an export holds, in the order they are written and listed.</summary>
    internal static readonly Modality[] Encoders = { Modality.Text, Modality.Symbolic, Modality.Audio };

    /// <summary>The manifest key (and file stem) of an encoder's model: text, symbolic or audio.</summary>
    internal static string ModelKey(Modality modality) => modality switch
    {
        Modality.Text => "text",
        Modality.Symbolic => "symbolic",
        Modality.Audio => "audio",
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };

    /// <summary>The manifest keys of the encoder models, in <see cref="Encoders"/> order.</summary>
    public static readonly string[] ModelKeys = Encoders.Select(ModelKey).ToArray();

    /// <summary>Writes one encoder's ONNX model from tensors in memory (e.g. random weights for a benchmark), without a
    /// manifest. <paramref name="weights"/> holds the official state-dict names of that encoder and its projection.</summary>
    public static void ExportModel(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, Modality modality, OnnxPrecision precision, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var graph = Clamp3OnnxGraphs.For(modality, config, weights, "weights in memory", precision == OnnxPrecision.Int8);
        AtomicFile.Write(path, graph.ToModel(OnnxExportManifest.ExporterVersion, Metadata(precision)).WriteTo);
    }

    /// <summary>The tensors of a checkpoint and the config they are exported for (<see cref="Clamp3ConfigResolver.ResolveChecked"/>).</summary>
    internal static (StateDict StateDict, Clamp3Config Config) ReadCheckpoint(string checkpointPath, string? configPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"CLaMP 3 checkpoint not found: {checkpointPath}", checkpointPath);
        var stateDict = CheckpointReader.Read(checkpointPath);
        return (stateDict, Clamp3ConfigResolver.ResolveChecked(stateDict, checkpointPath, configPath));
    }

    internal static IEnumerable<KeyValuePair<string, string>> Metadata(OnnxPrecision precision) => new[]
    {
        new KeyValuePair<string, string>("clamp3.exporter_version", OnnxExportManifest.ExporterVersion),
        new KeyValuePair<string, string>("clamp3.precision", OnnxExportManifest.PrecisionName(precision)),
    };

    private static string? CopyTokenizer(Clamp3Config config, string outputDirectory)
    {
        if (config.ExistingTokenizerModel is not { } path) return null;
        var name = Path.GetFileName(path);
        var target = Path.Combine(outputDirectory, name);
        if (!string.Equals(Path.GetFullPath(path), Path.GetFullPath(target), StringComparison.Ordinal))
            AtomicFile.Copy(path, target);
        return name;
    }
}
