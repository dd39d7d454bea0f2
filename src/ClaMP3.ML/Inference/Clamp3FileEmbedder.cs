using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing.Audio;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Inference;

/// <summary>The official <c>extract_clamp3.py</c> over files: <c>.txt</c> (text), <c>.abc</c>/<c>.mtf</c> (scores),
/// <c>.npy</c> (MERT features) and, with a <see cref="MertExtractor"/>, audio files, each embedded into
/// <c>&lt;relative folder&gt;/&lt;stem&gt;.npy</c>, float32 <c>(1, D)</c> (global) or <c>(1, N, H)</c> (sequence).
/// Inputs are embedded <see cref="Clamp3EmbedderOptions.BatchSize"/> at a time; a batch that fails is redone one file
/// at a time, so a bad file fails alone (see <see cref="FileBatch.RunGrouped"/>).</summary>
public sealed class Clamp3FileEmbedder
{
    /// <summary>Matched case-sensitively, as <c>extract_clamp3.py</c>'s <c>endswith</c>.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".txt", ".abc", ".mtf", ".npy"];

    /// <summary>Audio files, embedded through MERT when an extractor is given: what <see cref="AudioDecoder"/> reads,
    /// matched in any case, as <c>clamp3 mert</c>.</summary>
    public static IReadOnlyList<string> AudioExtensions => AudioDecoder.SupportedExtensions;

    private readonly Clamp3Embedder _embedder;
    private readonly MertExtractor? _mert;

    public Clamp3FileEmbedder(Clamp3Embedder embedder, MertExtractor? mert = null)
    {
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        _mert = mert;
    }

    public FeatureKind Kind { get; init; } = FeatureKind.Global;

    /// <summary>Gets each warning about an input (the line names the file).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Whether <paramref name="fileName"/> is an input (audio only when <paramref name="withAudio"/>).</summary>
    public static bool Accepts(string fileName, bool withAudio) =>
        Extensions.Any(e => fileName.EndsWith(e, StringComparison.Ordinal))
        || (withAudio && AudioExtensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The batch options of <c>clamp3 embed</c>: inputs by <see cref="Accepts"/>, outputs
    /// <c>&lt;relative folder&gt;/&lt;name without its last extension&gt;.npy</c>.</summary>
    public static FileBatchOptions BatchOptions(bool withAudio, Func<IReadOnlyList<FileBatchItem>, IReadOnlyList<FileBatchItem>>? select = null) => new()
    {
        Accepts = name => Accepts(name, withAudio),
        MapOutput = relative => Path.Combine(Path.GetDirectoryName(relative) ?? "", Path.GetFileNameWithoutExtension(relative) + ".npy"),
        Select = select,
    };

    /// <summary>Embeds every item of <paramref name="batch"/> that has no output yet.</summary>
    public FileBatchReport Run(FileBatch batch, Action<FileBatchResult>? onResult = null, CancellationToken cancellationToken = default) =>
        batch.RunGrouped(Math.Max(1, _embedder.Options.BatchSize),
            item => Prepare(item.InputPath),
            group => _embedder.Embed(group, Kind),
            Write, onResult, cancellationToken);

    /// <summary>Reads and tokenizes one input by its extension; warnings go to <see cref="Warn"/>.</summary>
    public PreparedInput Prepare(string path)
    {
        PreparedInput prepared;
        int width = _embedder.Config.AudioFeatureDim;
        if (_mert is not null && AudioExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            var features = _mert.ExtractFromFile(path);
            if (features.Columns != width)
                throw new InvalidDataException($"{path}: MERT gives {features.Columns}-wide features, the CLaMP 3 audio encoder reads {width}.");
            prepared = _embedder.PrepareAudioFeatures(features);
        }
        else if (path.EndsWith(".npy", StringComparison.Ordinal)) prepared = _embedder.PrepareAudioFeatures(MertFeatureFile.Read(path, width, Warning));
        else if (path.EndsWith(".txt", StringComparison.Ordinal)) prepared = _embedder.PrepareText(SourceText.ReadFile(path));
        else prepared = _embedder.PrepareScore(SourceText.ReadFile(path));
        foreach (var warning in prepared.Warnings) Warning($"{path}: {warning}");
        return prepared;
    }

    private void Warning(string line) => Warn?.Invoke(line);

    private void Write(FileBatchItem item, FeatureMatrix features)
    {
        if (Kind == FeatureKind.Global) NpyFile.WriteFloat32(item.OutputPath, features.Values, 1, features.Columns);
        else NpyFile.WriteFloat32(item.OutputPath, features.Values, 1, features.Rows, features.Columns);
    }
}
