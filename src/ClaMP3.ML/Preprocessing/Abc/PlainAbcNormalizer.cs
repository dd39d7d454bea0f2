using System.Text;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>A plain tune rewritten into the layout the official interleaver reads, and what was changed (for the
/// warning that marks the output as our addition).</summary>
internal sealed record NormalizedAbc(string Text, IReadOnlyList<string> Changes);

/// <summary>
/// <b>Our addition beyond the official converter</b> (which rejects these tunes): rewrites ABC as most of the web and
/// abcm2ps/abcMIDI collections write it into the layout abctoolkit expects, the layout xml2abc writes:
/// <list type="bullet">
/// <item>a tune without <c>V:</c> lines gets the one voice the format needs: <c>V:1</c> declared after <c>K:</c> and a
/// <c>V:1</c> line before the music (the output then has the <c>[V:1]</c> bar prefixes of the official interleaver);</item>
/// <item>named voices (<c>V:RH</c>, <c>V:T</c>, <c>V:drum</c>) are numbered 1, 2, … in order of first appearance (in
/// <c>%%staves</c>/<c>%%score</c> too), their properties (<c>clef=bass</c>) kept in the header declaration;</item>
/// <item>a voice written in several blocks (one per system, as abcm2ps files do) becomes one block: abctoolkit would keep
/// only the last block;</item>
/// <item>body lines the toolkit would read as music become what ABC means by them: <c>M:</c>/<c>L:</c>/<c>K:</c>/<c>Q:</c>/
/// <c>P:</c> lines become inline fields (<c>[M:6/8]</c>), comments, <c>%%</c> directives, lyrics and other information
/// lines are dropped, a line continuation <c>\</c> at the end of a line is removed, inline voice switches
/// (<c>[V:2]</c>) are followed.</item>
/// </list>
/// The result then goes through the unchanged official pipeline. Thread-safe; no I/O.
/// </summary>
internal static class PlainAbcNormalizer
{
    private static readonly Regex FieldLine = new(@"^([A-Za-z+]):", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex InlineVoice = new(@"\[V:\s*([^\]\s]*)[^\]]*\]", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    /// <summary>Body fields that change how the music reads; every other field in the body is information only.</summary>
    private const string MusicalFields = "MLKQPIU";

    private sealed class Voice(string id)
    {
        public string Id { get; } = id;
        public string Properties { get; set; } = "";
        public StringBuilder Music { get; } = new();
        public int Blocks { get; set; }
    }

    /// <summary>The rewritten tune, or null when it has no <c>K:</c> line (no ABC header to build on) or no music.</summary>
    public static NormalizedAbc? Normalize(string abc)
    {
        var lines = PythonText.ReadLines(abc).Select(l => l.TrimEnd('\n')).ToList();
        int keyLine = lines.FindIndex(l => PythonStrings.Strip(l).StartsWith("K:", StringComparison.Ordinal));
        if (keyLine < 0) return null;

        var voices = new List<Voice>();
        var changes = new List<string>();
        Voice Find(string id)
        {
            var voice = voices.Find(v => v.Id == id);
            if (voice is null) { voice = new Voice(id); voices.Add(voice); }
            return voice;
        }

        var header = new List<string>();
        for (int i = 0; i <= keyLine; i++)
        {
            if (!TryParseVoiceLine(lines[i], out var id, out var props)) { header.Add(lines[i]); continue; }
            var declared = Find(id);
            if (props.Length > 0) declared.Properties = props;
        }
        bool anyVoice = lines.Any(l => TryParseVoiceLine(l, out _, out _)) || InlineVoice.IsMatch(abc);
        ReadBody(lines.Skip(keyLine + 1), voices, Find, changes);

        voices.RemoveAll(v => PythonStrings.IsBlank(v.Music.ToString()));
        if (voices.Count == 0) return null;
        MergeAdjacentBarlines(voices, changes);
        PadShorterVoices(voices, changes);
        return new NormalizedAbc(Write(header, voices, anyVoice, changes), changes);
    }

    private static void ReadBody(IEnumerable<string> body, List<Voice> voices, Func<string, Voice> find, List<string> changes)
    {
        Voice? current = null;
        Voice Current() => current ??= voices.Count > 0 ? voices[0] : find("1");
        Voice? lastWritten = null;
        bool joined = false, fieldsInlined = false, lineBreaks = false;
        foreach (var raw in body)
        {
            var line = raw;
            if (PythonStrings.IsBlank(line) || line.StartsWith('%')) continue;
            if (TryParseVoiceLine(line, out var id, out var props))
            {
                current = find(id);
                if (props.Length > 0 && current.Properties.Length == 0) current.Properties = props;
                continue;
            }
            var field = FieldLine.Match(line);
            if (field.Success)
            {
                if (MusicalFields.Contains(field.Groups[1].Value[0]))
                {
                    Append(Current(), "[" + PythonStrings.Strip(StripComment(line)) + "]", lineEnd: false);
                    fieldsInlined = true;
                }
                continue;
            }
            var music = StripComment(line).TrimEnd();
            if (music.EndsWith('\\')) { music = music[..^1].TrimEnd(); joined = true; }
            // abc 1.6's "!" line break (an odd "!" at the end of a line, not a !decoration!).
            if (music.EndsWith('!') && music.Count(c => c == '!') % 2 == 1) { music = music[..^1].TrimEnd(); lineBreaks = true; }
            // Inline voice switches: the text before the first one belongs to the current voice.
            int at = 0;
            foreach (Match m in InlineVoice.Matches(music))
            {
                if (m.Index > at) Append(Current(), music[at..m.Index]);
                current = find(m.Groups[1].Value);
                at = m.Index + m.Length;
            }
            if (at < music.Length) Append(Current(), music[at..]);
        }
        if (joined) changes.Add("line continuations (\\) joined");
        if (fieldsInlined) changes.Add("field lines in the tune body written as inline fields");
        if (lineBreaks) changes.Add("abc 1.6 line-break marks (!) removed");

        // An inline field stays on the line of the music it applies to (a bar prefix must be one line).
        void Append(Voice voice, string text, bool lineEnd = true)
        {
            if (PythonStrings.IsBlank(text)) return;
            if (!ReferenceEquals(voice, lastWritten)) voice.Blocks++;
            lastWritten = voice;
            voice.Music.Append(text);
            if (lineEnd) voice.Music.Append('\n');
        }
    }

    private static string Write(List<string> header, List<Voice> voices, bool anyVoice, List<string> changes)
    {
        var numbers = voices.Select((v, i) => (v.Id, Number: (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        if (!anyVoice)
            changes.Insert(0, "no V: line: the one voice the interleaved format needs was added as V:1");
        else if (numbers.Any(n => n.Id != n.Number))
            changes.Insert(0, "voices numbered " + string.Join(", ", numbers.Select(n => $"{n.Id} → V:{n.Number}")));
        if (voices.Any(v => v.Blocks > 1)) changes.Add("voices written in several blocks merged into one block each");

        var sb = new StringBuilder();
        foreach (var line in header)
            sb.Append(IsVoiceListDirective(line) ? RenameVoices(line, numbers) : line).Append('\n');
        for (int i = 0; i < voices.Count; i++)
            sb.Append("V:").Append(numbers[i].Number).Append(voices[i].Properties.Length > 0 ? " " + voices[i].Properties : "").Append('\n');
        for (int i = 0; i < voices.Count; i++)
            sb.Append("V:").Append(numbers[i].Number).Append('\n').Append(voices[i].Music);
        return sb.ToString();
    }

    /// <summary>Two barlines with only spaces or a line end between them (<c>:| |:</c> across lines, the usual way to
    /// end one repeat and start the next) are one barline in ABC; the toolkit would read an empty bar between them.</summary>
    private static void MergeAdjacentBarlines(List<Voice> voices, List<string> changes)
    {
        bool merged = false;
        foreach (var voice in voices)
        {
            var items = AbcNotation.BarlineSplit.Split(voice.Music.ToString()).ToList();
            // Split keeps the barlines at odd indices; an even item between two barlines is the text between them.
            for (int i = 1; i + 2 < items.Count; i += 2)
            {
                if (!PythonStrings.IsBlank(items[i + 1]) && items[i + 1].Length > 0) continue;
                bool closes = items[i].StartsWith(':'), opens = items[i + 2].EndsWith(':');
                items[i + 2] = closes && opens ? "::" : closes ? ":|" : opens ? "|:" : items[i] == "||" || items[i + 2] == "||" ? "||" : "|";
                items[i + 1] = items[i + 1].Contains('\n') ? "\n" : "";
                items[i] = "";
                merged = true;
            }
            voice.Music.Clear().Append(string.Concat(items));
        }
        if (merged) changes.Add("adjacent barlines merged (:| |: is ::)");
    }

    /// <summary>Voices that stop early (a part that rests to the end, an accompaniment dropped by <c>%%staves</c>) get
    /// whole-bar rests <c>Z|</c> at the end, so every voice has as many bars as the longest.</summary>
    private static void PadShorterVoices(List<Voice> voices, List<string> changes)
    {
        if (voices.Count < 2) return;
        var counts = new int[voices.Count];
        for (int i = 0; i < voices.Count; i++)
        {
            try { counts[i] = VoiceBars.Split(voices[i].Music.ToString()).Count; }
            catch (AbcToolkitException) { return; } // the official pipeline will report it
        }
        int most = counts.Max();
        for (int i = 0; i < voices.Count; i++)
        {
            if (counts[i] == most) continue;
            var music = voices[i].Music;
            while (music.Length > 0 && char.IsWhiteSpace(music[^1])) music.Length--;
            music.Append(string.Concat(Enumerable.Repeat(" Z|", most - counts[i]))).Append('\n');
            changes.Add($"V:{i + 1} padded with {most - counts[i]} whole-bar rests (Z|) to {most} bars");
        }
    }

    /// <summary>A line <c>V:id props</c> (the id is the first word after <c>V:</c>).</summary>
    private static bool TryParseVoiceLine(string line, out string id, out string properties)
    {
        id = properties = "";
        var stripped = PythonStrings.Strip(StripComment(line));
        if (!stripped.StartsWith("V:", StringComparison.Ordinal)) return false;
        var rest = stripped[2..].TrimStart();
        int space = rest.IndexOfAny([' ', '\t']);
        id = space < 0 ? rest : rest[..space];
        properties = space < 0 ? "" : rest[(space + 1)..].Trim();
        if (id.Length == 0) id = "1";
        return true;
    }

    /// <summary>Drops a <c>%</c> comment (not an escaped <c>\%</c>).</summary>
    private static string StripComment(string line)
    {
        for (int i = 0; i < line.Length; i++)
            if (line[i] == '%' && (i == 0 || line[i - 1] != '\\')) return line[..i];
        return line;
    }

    private static bool IsVoiceListDirective(string line) =>
        line.StartsWith("%%staves", StringComparison.Ordinal) || line.StartsWith("%%score", StringComparison.Ordinal);

    private static string RenameVoices(string line, List<(string Id, string Number)> numbers)
    {
        var directive = line.StartsWith("%%staves", StringComparison.Ordinal) ? "%%staves" : "%%score";
        var body = Regex.Replace(line[directive.Length..], @"[^\s\[\]\{\}\(\)\|]+", m =>
        {
            var match = numbers.Find(n => n.Id == m.Value);
            return match.Id is null ? m.Value : match.Number;
        });
        return directive + body;
    }
}
