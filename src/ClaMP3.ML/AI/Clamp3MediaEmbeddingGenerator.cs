using ClaMP3.ML.Checkpoints;
using System.Text;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing.Audio;
using ClaMP3.ML.Preprocessing.Midi;
using ClaMP3.ML.Tokenization;
using Microsoft.Extensions.AI;

namespace ClaMP3.ML.AI;

/// <summary>MERT features (windows × 768) of decoded audio: e.g. <c>mertExtractor.Extract</c>.</summary>
public delegate FeatureMatrix MertFeatureFunction(float[][] channels, int sampleRate);

/// <summary>
/// Files as <see cref="DataContent"/> → CLaMP 3 embeddings in the shared space, chosen by media type:
/// <list type="bullet">
/// <item><c>text/plain</c>: text (the text encoder).</item>
/// <item><c>text/vnd.abc</c>, <c>text/x-abc</c>: (interleaved) ABC; <c>text/x-mtf</c>, <c>application/x-mtf</c>: MTF (the symbolic encoder).</item>
/// <item><c>audio/midi</c>, <c>audio/x-midi</c>, <c>audio/mid</c>: MIDI, converted to MTF as
///   <c>batch_midi2mtf.py --m3_compatible</c> (what CLaMP 3 was trained on), then the symbolic encoder.</item>
/// <item><c>application/x-npy</c>: MERT features, float32 (1, T, 768) or (T, 768), as <c>clamp3 mert</c> writes them (the audio encoder).</item>
/// <item><c>audio/wav</c>, <c>audio/x-wav</c>, <c>audio/wave</c>, <c>audio/mpeg</c>, <c>audio/mp3</c>, <c>audio/flac</c>,
///   <c>audio/x-flac</c>, <c>audio/ogg</c>, <c>audio/vorbis</c>: decoded, then MERT (needs a <see cref="MertFeatureFunction"/>), then the audio encoder.</item>
/// </list>
/// Another media type, or content that cannot be read, fails the call with the item's position, name and media type.
/// </summary>
public sealed class Clamp3MediaEmbeddingGenerator : Clamp3EmbeddingGenerator<DataContent>
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly MertFeatureFunction? _mert;

    public static IReadOnlyList<string> TextTypes { get; } = ["text/plain"];
    public static IReadOnlyList<string> ScoreTypes { get; } = ["text/vnd.abc", "text/x-abc", "text/x-mtf", "application/x-mtf"];
    public static IReadOnlyList<string> MidiTypes { get; } = ["audio/midi", "audio/x-midi", "audio/mid"];
    public static IReadOnlyList<string> MertFeatureTypes { get; } = ["application/x-npy"];
    public static IReadOnlyList<string> AudioTypes { get; } =
        ["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/mpeg", "audio/mp3", "audio/flac", "audio/x-flac", "audio/ogg", "audio/vorbis"];

    /// <param name="mert">Turns decoded audio into MERT features; without it audio files are refused (MERT feature files still work).</param>
    public Clamp3MediaEmbeddingGenerator(Clamp3Embedder embedder, MertFeatureFunction? mert = null, bool ownsEmbedder = false, string? modelId = null)
        : base(embedder, ownsEmbedder, modelId) => _mert = mert;

    protected override PreparedInput Prepare(DataContent input, int position)
    {
        if (input is null) throw new ArgumentException($"Item {position} is null.");
        string type = MediaType(input);
        string name = $"item {position}{(input.Name is { } n ? $" ({n})" : "")} [{type}]";
        if (AudioTypes.Contains(type) && _mert is null)
            throw new NotSupportedException($"{name}: audio needs MERT: construct the generator with a MertFeatureFunction (e.g. mertExtractor.Extract).");
        try
        {
            if (TextTypes.Contains(type)) return Embedder.PrepareText(Text(input));
            if (ScoreTypes.Contains(type)) return Embedder.PrepareScore(Text(input));
            if (MidiTypes.Contains(type)) return Embedder.PrepareScore(MidiToMtf.Convert(input.Data.ToArray(), m3Compatible: true));
            if (MertFeatureTypes.Contains(type)) return Embedder.PrepareAudioFeatures(ReadMertFeatures(input));
            if (AudioTypes.Contains(type))
            {
                using var stream = new MemoryStream(input.Data.ToArray(), writable: false);
                var audio = AudioDecoder.Decode(stream, input.Name ?? $"item {position}");
                return Embedder.PrepareAudioFeatures(_mert!(audio.Channels, audio.SampleRate));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or NotSupportedException or DecoderFallbackException
                                      or EndOfStreamException or ArgumentException or AudioDecodingException or AudioTooShortException)
        {
            throw new InvalidDataException($"{name}: {e.Message}", e);
        }
        throw new NotSupportedException($"{name}: unsupported media type; CLaMP 3 reads {string.Join(", ", TextTypes.Concat(ScoreTypes).Concat(MidiTypes).Concat(MertFeatureTypes).Concat(AudioTypes))}.");
    }

    /// <summary>The media type without parameters (<c>text/plain; charset=utf-8</c> → <c>text/plain</c>), lower case.</summary>
    private static string MediaType(DataContent content) => content.MediaType.Split(';')[0].Trim().ToLowerInvariant();

    private static string Text(DataContent content) => SourceText.NormalizeNewlines(StrictUtf8.GetString(content.Data.Span));

    private FeatureMatrix ReadMertFeatures(DataContent content)
    {
        using var stream = new MemoryStream(content.Data.ToArray(), writable: false);
        var array = NpyFile.Read(stream);
        int width = Embedder.Config.AudioFeatureDim;
        if (array.DType != "f4" || array.Shape.Length is not (2 or 3) || array.Shape[^1] != width || (array.Shape.Length == 3 && array.Shape[0] != 1))
            throw new InvalidDataException($"MERT features must be float32 (1, T, {width}) or (T, {width}), got {array.DType} ({string.Join(", ", array.Shape)}).");
        var values = array.ToFloat32();
        if (values.Length == 0) throw new InvalidDataException("MERT features are empty.");
        if (FiniteValues.FirstNonFinite(values) is var bad and >= 0)
            throw new InvalidDataException($"MERT features hold a non-finite value at row {bad / width}; they would give NaN embeddings.");
        return new FeatureMatrix(values, values.Length / width, width);
    }
}

/// <summary>Extension methods: a loaded <see cref="Clamp3Embedder"/> as Microsoft.Extensions.AI embedding generators.</summary>
public static class Clamp3EmbeddingGeneratorExtensions
{
    public static IEmbeddingGenerator<string, Embedding<float>> AsTextEmbeddingGenerator(this Clamp3Embedder embedder) =>
        new Clamp3TextEmbeddingGenerator(embedder);

    public static IEmbeddingGenerator<string, Embedding<float>> AsScoreEmbeddingGenerator(this Clamp3Embedder embedder) =>
        new Clamp3ScoreEmbeddingGenerator(embedder);

    public static IEmbeddingGenerator<DataContent, Embedding<float>> AsMediaEmbeddingGenerator(this Clamp3Embedder embedder, MertFeatureFunction? mert = null) =>
        new Clamp3MediaEmbeddingGenerator(embedder, mert);
}
