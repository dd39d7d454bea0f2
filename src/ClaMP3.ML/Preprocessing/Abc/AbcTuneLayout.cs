namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>One voice of the tune body: its symbol (the <c>V:</c> line stripped, e.g. <c>V:2</c>) and its music
/// lines concatenated (each keeps its <c>\n</c>).</summary>
internal sealed record VoicePart(string Symbol, string Text);

/// <summary>
/// A standard (unrotated) ABC tune as abctoolkit sees it: the <b>metadata</b> is every line before the last line
/// that is exactly <c>V:1</c> (after strip), the <b>tune body</b> starts there and a new voice starts at every
/// line beginning with <c>V:</c>.
/// </summary>
internal sealed class AbcTuneLayout
{
    public const string FirstVoice = "V:1";

    public required List<string> MetadataLines { get; init; }

    /// <summary>The voices in body order. A symbol that occurs twice keeps its first position and its last text
    /// (Python dict assignment).</summary>
    public required List<VoicePart> Voices { get; init; }

    /// <summary><c>extract_metadata_and_tunebody</c>: the index of the last line whose strip() is <c>V:1</c>.</summary>
    public static int FindTuneBodyStart(IReadOnlyList<string> lines)
    {
        for (int i = lines.Count - 1; i >= 0; i--)
            if (PythonStrings.Strip(lines[i]) == FirstVoice) return i;
        throw new AbcToolkitException("tunebody index not found.");
    }

    /// <summary><c>extract_metadata_and_parts</c>.</summary>
    public static AbcTuneLayout Parse(IReadOnlyList<string> lines)
    {
        int body = FindTuneBodyStart(lines);
        var voices = new List<VoicePart>();
        var position = new Dictionary<string, int>(StringComparer.Ordinal);

        void Add(string symbol, int from, int to)
        {
            var text = string.Concat(Enumerable.Range(from, to - from).Select(i => lines[i]));
            if (position.TryGetValue(symbol, out int at)) voices[at] = new VoicePart(symbol, text);
            else { position[symbol] = voices.Count; voices.Add(new VoicePart(symbol, text)); }
        }

        string symbol = PythonStrings.Strip(lines[body]);
        int start = body + 1;
        for (int i = body + 1; i < lines.Count; i++)
        {
            if (!lines[i].StartsWith("V:", StringComparison.Ordinal)) continue;
            Add(symbol, start, i);
            symbol = PythonStrings.Strip(lines[i]);
            start = i + 1;
        }
        Add(symbol, start, lines.Count);
        return new AbcTuneLayout { MetadataLines = lines.Take(body).ToList(), Voices = voices };
    }
}
