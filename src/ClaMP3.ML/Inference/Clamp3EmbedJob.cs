using ClaMP3.ML.IO;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Inference;

/// <summary>What a <see cref="Clamp3EmbedJob"/> (<c>clamp3 embed</c>) runs.</summary>
/// <param name="Input">A <c>.txt .abc .mtf .npy</c> file (audio too with MERT), or a folder walked recursively for them.</param>
/// <param name="OutputDirectory">Where <c>&lt;relative folder&gt;/&lt;stem&gt;.npy</c> outputs go.</param>
/// <param name="Model">The CLaMP 3 model (a checkpoint, or an ONNX folder from <c>clamp3 export onnx</c>), its device,
/// precision and batch size.</param>
public sealed record Clamp3EmbedJobOptions(string Input, string OutputDirectory, Clamp3EmbedderOptions Model)
{
    /// <summary>Global <c>(1, D)</c> or sequence <c>(1, N, H)</c> outputs.</summary>
    public FeatureKind Kind { get; init; } = FeatureKind.Global;
    /// <summary>An HF MERT folder: audio files are inputs too (audio → MERT → CLaMP 3). An ONNX export that holds MERT
    /// runs its own instead.</summary>
    public string? MertDirectory { get; init; }
    /// <summary>Take one shard of the sorted inputs (null: all of them).</summary>
    public ShardSpec? Shard { get; init; }
}

/// <summary>
/// The official <c>extract_clamp3.py</c> over a file or folder, as <c>clamp3 embed</c> runs it, in three steps so that a
/// caller can report between them: <see cref="Plan"/> finds the inputs (nothing is loaded yet, an empty input costs
/// nothing), <see cref="Load"/> loads MERT (when audio files are inputs) and CLaMP 3, and <see cref="Run"/> embeds
/// every input that has no output yet (<see cref="Clamp3FileEmbedder"/> over a <see cref="FileBatch"/>).
/// </summary>
public sealed class Clamp3EmbedJob : IDisposable
{
    private readonly bool _onnxMert;
    private MertExtractor? _mert;
    private Clamp3Embedder? _embedder;

    private Clamp3EmbedJob(Clamp3EmbedJobOptions options, FileBatch batch, bool onnxMert)
    {
        Options = options;
        Batch = batch;
        _onnxMert = onnxMert;
    }

    /// <summary>What this job runs.</summary>
    public Clamp3EmbedJobOptions Options { get; }

    /// <summary>The inputs to embed (one shard of them with <see cref="Clamp3EmbedJobOptions.Shard"/>) and their outputs.</summary>
    public FileBatch Batch { get; }

    /// <summary>Audio files are inputs: a MERT folder is given, or the ONNX export holds MERT.</summary>
    public bool WithAudio => Options.MertDirectory is not null || _onnxMert;

    /// <summary>Finds the inputs and maps their outputs; loads no model (the ONNX folder's manifest is read, to know
    /// whether it holds MERT).</summary>
    /// <exception cref="NotSupportedException">The input is a file of a type that is not embedded.</exception>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    public static Clamp3EmbedJob Plan(Clamp3EmbedJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool onnxMert = options.Model.OnnxDirectory is { } onnx && OnnxExportManifest.Load(onnx).Model("mert") is not null;
        bool withAudio = options.MertDirectory is not null || onnxMert;
        if (File.Exists(options.Input) && !Clamp3FileEmbedder.Accepts(Path.GetFileName(options.Input), withAudio))
        {
            var extensions = withAudio ? Clamp3FileEmbedder.Extensions.Concat(Clamp3FileEmbedder.AudioExtensions) : Clamp3FileEmbedder.Extensions;
            throw new NotSupportedException($"{options.Input}: unsupported file type (use {string.Join(" ", extensions)}{(withAudio ? "" : "; audio needs --mert")}).");
        }
        var batch = FileBatch.Plan(options.Input, options.OutputDirectory,
            Clamp3FileEmbedder.BatchOptions(withAudio, ShardSpec.Selector<FileBatchItem>(options.Shard)));
        return new Clamp3EmbedJob(options, batch, onnxMert);
    }

    /// <summary>Loads the models once: MERT when audio files are inputs (the ONNX export's, else the MERT folder's on the
    /// TorchSharp engine; its errors name the folder), then CLaMP 3 (<see cref="Clamp3Embedder.Load"/>).</summary>
    public Clamp3Embedder Load()
    {
        var model = Options.Model;
        if (_onnxMert) _mert ??= new MertExtractor(new OnnxMertEngine(model.OnnxDirectory!, model.Threads, OnnxSessions.IsCuda(model.Device)));
        else if (Options.MertDirectory is { } mert) _mert ??= NamingFolder(mert, () => MertExtractor.Load(mert, model.Device));
        return _embedder ??= Clamp3Embedder.Load(model);
    }

    /// <summary>Embeds every input that has no output yet (loading the models first if needed). Each result goes to
    /// <paramref name="onResult"/> as it is known, each warning about an input (naming it) to <paramref name="warn"/>;
    /// <paramref name="report"/> gets the engine and config, then <see cref="FileBatchProgress"/> lines with the device's
    /// memory in use.</summary>
    public FileBatchReport Run(Action<FileBatchResult>? onResult = null, Action<string>? warn = null, Action<string>? report = null,
        CancellationToken cancellationToken = default)
    {
        var embedder = Load();
        report?.Invoke($"Using engine: {embedder.Engine.Description}; config: {embedder.Config.Source}");
        var progress = report is null ? null : new FileBatchProgress(Batch.Items.Count, report, "embedded", () => DeviceStatus.Describe(Options.Model.Device));
        var files = new Clamp3FileEmbedder(embedder, _mert) { Kind = Options.Kind, Warn = warn };
        var result = files.Run(Batch, r => { onResult?.Invoke(r); progress?.Add(r); }, cancellationToken);
        progress?.Finish();
        return result;
    }

    /// <summary>Ends one task of a sharded run (<see cref="Clamp3EmbedJobOptions.Shard"/>). A task with a failed item
    /// fails and writes no shard file, so that the merge refuses the incomplete set, naming the missing shard. With global
    /// features, a task that finished every item writes <c>OUTPUT_DIR/shards/shard-I-of-N.c3index</c> (the vectors and
    /// keys of its outputs, written now or before, atomically), which <see cref="VectorIndexBuilder.Build"/>
    /// (<c>clamp3 index build OUTPUT_DIR/shards</c>) merges. Returns that file and its row count; null for sequence features.</summary>
    /// <exception cref="InvalidOperationException">Not a sharded run, or an item failed (the message says what to do).</exception>
    public (string Path, int Rows)? FinishShard(FileBatchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var shard = Options.Shard ?? throw new InvalidOperationException("Not a sharded run: Options.Shard is not set.");
        if (report.Failed > 0)
            throw new InvalidOperationException($"shard {shard}: {report.Failed} file(s) failed; no shard file written (fix or remove them and rerun this task: finished files are kept).");
        if (Options.Kind != FeatureKind.Global) return null;
        string path = Path.Combine(Options.OutputDirectory, "shards", VectorIndexBuilder.ShardFileName(shard.Index, shard.Count));
        var outputs = report.Results.Where(r => r.Status is FileBatchStatus.Done or FileBatchStatus.SkippedExisting).Select(r => r.Item.OutputPath);
        return (path, VectorIndexBuilder.WriteShard(Options.OutputDirectory, outputs, Load().GlobalDimension, path));
    }

    /// <summary>Disposes the models <see cref="Load"/> loaded.</summary>
    public void Dispose()
    {
        _embedder?.Dispose();
        _mert?.Dispose();
    }

    /// <summary>A failure while loading <paramref name="folder"/>, as one message that names it.</summary>
    private static T NamingFolder<T>(string folder, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException(FileBatch.FailureLine(folder, FileBatch.Reason(e)), e);
        }
    }
}
