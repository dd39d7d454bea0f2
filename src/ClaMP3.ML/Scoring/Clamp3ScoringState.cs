using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Scoring;

/// <summary>
/// What the tokenize/patchilize mappings of a standard-model featurizer need besides the row: the XLM-R sentencepiece
/// model (text) or the patch size (scores). ML.NET's <c>CustomMapping</c> saves only a contract name, so this state
/// travels inside the model zip as the constant output of a tiny ONNX graph (<see cref="Clamp3ScoringGraphs.StateCarrier"/>)
/// and reaches the mapping as a byte column. Layout: "CLAMP3ST", version byte, SHA-256 of the payload, payload =
/// u32 JSON length, JSON (<see cref="Kind"/>, <see cref="PatchSize"/>), tokenizer bytes. Parsed once per process per hash.
/// </summary>
public sealed class Clamp3ScoringState
{
    private static readonly byte[] Magic = "CLAMP3ST"u8.ToArray();
    private const byte Version = 1;
    private const int HeaderLength = 8 + 1 + 32;
    private static readonly ConcurrentDictionary<string, Lazy<Clamp3ScoringState>> Parsed = new(StringComparer.Ordinal);

    private Clamp3ScoringState(string kind, int patchSize, XlmRobertaTokenizer? tokenizer)
    {
        Kind = kind;
        PatchSize = patchSize;
        Tokenizer = tokenizer;
        Patchilizer = patchSize > 0 ? new M3Patchilizer(patchSize) : null;
    }

    /// <summary>"text" or "score".</summary>
    public string Kind { get; }
    public int PatchSize { get; }
    public XlmRobertaTokenizer? Tokenizer { get; }
    public M3Patchilizer? Patchilizer { get; }

    /// <summary>The blob for a text featurizer: the sentencepiece model's bytes, checked to load.</summary>
    public static byte[] ForText(byte[] sentencePieceModel, string nameForErrors)
    {
        XlmRobertaTokenizer.FromBytes(sentencePieceModel, nameForErrors); // refuse a bad tokenizer at export, not at scoring
        return Build(new StateJson { Kind = "text" }, sentencePieceModel);
    }

    /// <summary>The blob for a score featurizer.</summary>
    public static byte[] ForScore(int patchSize)
    {
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "the patch size must be positive.");
        return Build(new StateJson { Kind = "score", PatchSize = patchSize }, Array.Empty<byte>());
    }

    /// <summary>The state a blob describes, parsed once per process (keyed by its SHA-256, which is verified).</summary>
    /// <exception cref="InvalidDataException">Not a state blob, or altered.</exception>
    public static Clamp3ScoringState Get(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderLength + 4 || !blob[..8].SequenceEqual(Magic))
            throw new InvalidDataException("the Clamp3State column does not hold a ClaMP3 scoring state (was the model file altered?).");
        if (blob[8] != Version)
            throw new InvalidDataException($"the ClaMP3 scoring state has version {blob[8]}; this library reads version {Version}: update ClaMP3.ML.");
        var key = Convert.ToHexString(blob.Slice(9, 32));
        if (Parsed.TryGetValue(key, out var known)) return known.Value;
        var copy = blob.ToArray();
        var lazy = Parsed.GetOrAdd(key, _ => new Lazy<Clamp3ScoringState>(() => Parse(copy, key)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Parsed.TryRemove(key, out _);
            throw;
        }
    }

    private static Clamp3ScoringState Parse(byte[] blob, string expectedHash)
    {
        var payload = blob.AsSpan(HeaderLength);
        if (!Convert.ToHexString(SHA256.HashData(payload)).Equals(expectedHash, StringComparison.Ordinal))
            throw new InvalidDataException("the ClaMP3 scoring state fails its SHA-256 check: the model file was altered or truncated.");
        uint jsonLength = BitConverter.ToUInt32(payload[..4]);
        if (jsonLength > payload.Length - 4)
            throw new InvalidDataException($"the ClaMP3 scoring state declares {jsonLength} bytes of settings but has {payload.Length - 4}.");
        var json = JsonSerializer.Deserialize<StateJson>(payload.Slice(4, (int)jsonLength))
                   ?? throw new InvalidDataException("the ClaMP3 scoring state has no settings.");
        var rest = payload[(4 + (int)jsonLength)..].ToArray();
        return json.Kind switch
        {
            "text" => new Clamp3ScoringState("text", 0, XlmRobertaTokenizer.FromBytes(rest, "the model file's tokenizer")),
            "score" when json.PatchSize > 0 => new Clamp3ScoringState("score", json.PatchSize, null),
            _ => throw new InvalidDataException($"the ClaMP3 scoring state has kind '{json.Kind}' and patch size {json.PatchSize}, which this library cannot use."),
        };
    }

    private static byte[] Build(StateJson settings, byte[] extra)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(settings);
        var payload = new byte[4 + json.Length + extra.Length];
        BitConverter.TryWriteBytes(payload.AsSpan(0, 4), (uint)json.Length);
        json.CopyTo(payload, 4);
        extra.CopyTo(payload, 4 + json.Length);
        var blob = new byte[HeaderLength + payload.Length];
        Magic.CopyTo(blob, 0);
        blob[8] = Version;
        SHA256.HashData(payload).CopyTo(blob, 9);
        payload.CopyTo(blob, HeaderLength);
        return blob;
    }

    private sealed class StateJson
    {
        [System.Text.Json.Serialization.JsonPropertyName("kind")] public string Kind { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("patch_size")] public int PatchSize { get; set; }
    }
}
