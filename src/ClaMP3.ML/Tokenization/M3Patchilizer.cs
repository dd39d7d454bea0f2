namespace ClaMP3.ML.Tokenization;

/// <summary>
/// CLaMP 3's <c>M3Patchilizer</c> (code/utils.py): turns ABC notation or MTF (MIDI text) into fixed-size patches of
/// character ids, exactly as <c>encode(item, add_special_patches=...)</c> does (no truncation; chunking is the caller's).
/// </summary>
/// <remarks>
/// <para>Steps, with the official quirks kept on purpose:</para>
/// <list type="number">
/// <item>Every occurrence of the substring <c>"L:1/8\n"</c> is removed (anywhere, newline included), then the whole text is
/// transliterated to ASCII (<see cref="AsciiTransliterator"/>, the port of <c>unidecode</c>).</item>
/// <item>Lines keep their <c>\n</c>; an empty final remainder is dropped.</item>
/// <item>MTF when the first line's first space-separated word is <c>ticks_per_beat</c>: a line is merged into the current
/// patch (<c>patch[:-1] + "\t" + rest</c>) when the patch <i>starts with</i> the line's first word (a string prefix test)
/// and <c>len(patch) + len(rest) ≤ patchSize − 2</c>, where <c>rest</c> is the line after its first space.</item>
/// <item>ABC otherwise: a line longer than one character whose first character is a letter and second is <c>:</c>, or that
/// starts with <c>%%</c>, is one patch and is never split. Any other line is split on the barlines
/// <c>|: :: :| [| || |] |</c> (tried in this order at each position); a leading barline is glued to the next piece;
/// only complete (text, barline) pairs are kept, so everything after the last barline is dropped (a line without
/// barline vanishes); <c>\n</c> is appended to the last bar.</item>
/// <item>With special patches, a BOS patch (<c>[1]·patchSize</c>) comes first and an EOS patch (<c>[1] + [2]·(patchSize−1)</c>) last.</item>
/// <item>Each patch is <c>[1] + chars + [2]</c>, cut to <c>patchSize</c> (a longer patch loses its end id) and padded with 0.</item>
/// </list>
/// <para>Input the official code crashes on is reported with <see cref="ArgumentException"/> (from <see cref="EncodeFile"/>,
/// <see cref="InvalidDataException"/> naming the file): text with no line at all (empty), and a line that consists of a
/// single barline and no newline (<c>IndexError</c> in <c>split_bars</c>).</para>
/// <para>The text should come from <see cref="SourceText.ReadFile"/> (or have Python's universal newlines applied): a
/// <c>\r</c> left in the text is an ordinary character here, as it would be in the official code.</para>
/// <para>Thread-safety: stateless apart from the immutable patch size; any number of threads may encode at once.</para>
/// </remarks>
public sealed class M3Patchilizer
{
    public const int PadId = 0;
    public const int BosId = 1;
    public const int EosId = 2;
    public const int MaskId = 3;

    /// <summary>Ids are character codes; the patch embedding has one column block of this size per position.</summary>
    public const int CharacterVocabularySize = 128;

    private static readonly string[] BarDelimiters = { "|:", "::", ":|", "[|", "||", "|]", "|" };

    private readonly string _bosPatch, _eosPatch;

    /// <param name="patchSize">Ids per patch (<c>PATCH_SIZE</c>, the symbolic config's <c>patch_size</c>; 64 for the released model).</param>
    public M3Patchilizer(int patchSize)
    {
        if (patchSize < 2) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "patch size must be at least 2");
        PatchSize = patchSize;
        _bosPatch = new string((char)BosId, patchSize);
        _eosPatch = new string((char)EosId, patchSize);
    }

    public int PatchSize { get; }

    /// <summary>Patches of <paramref name="text"/>, each <see cref="PatchSize"/> ids long.</summary>
    /// <exception cref="ArgumentException">The text has no line, or a line is a single barline without newline.</exception>
    public int[][] Encode(string text, bool addSpecialPatches = true)
    {
        var sink = new IdSink(PatchSize);
        Patchilize(text, addSpecialPatches, sink);
        var patches = new int[sink.Count][];
        for (int p = 0; p < patches.Length; p++) patches[p] = sink.Ids.AsSpan(p * PatchSize, PatchSize).ToArray();
        return patches;
    }

    /// <summary>
    /// <c>encode(text, add_special_patches, truncate=True, random_truncate=...)</c> as the training scripts call it: when
    /// there are more than <paramref name="maxPatches"/> patches (<c>PATCH_LENGTH</c>, counted with the BOS/EOS patches),
    /// keep a window of that many chosen by <paramref name="truncation"/>.
    /// </summary>
    /// <param name="random">Draws the middle window's start, <c>random.randint(1, N - maxPatches)</c>; needed only for
    /// <see cref="SequenceTruncation.Middle"/>. (Python's random stream itself cannot be reproduced.)</param>
    public int[][] Encode(string text, bool addSpecialPatches, int maxPatches, SequenceTruncation truncation, Random? random = null)
    {
        var patches = Encode(text, addSpecialPatches);
        return SequenceTruncations.Apply(patches, maxPatches, truncation, random);
    }

    /// <summary>
    /// The official <c>remove_instrument_info</c> (code/utils.py), applied with probability 0.9 to training music files:
    /// in ABC, a <c>V:</c> line is cut before <c>" nm="</c> (else before <c>" snm="</c>) and ends with <c>\n</c>; in MTF,
    /// a <c>program_change</c> line loses its last space-separated field and ends with <c>" 0\n"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty (the official code raises IndexError).</exception>
    public static string RemoveInstrumentInfo(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new ArgumentException("the text is empty (the official code raises IndexError)", nameof(text));
        int firstLineEnd = text.IndexOf('\n');
        bool mtf = FirstWord(firstLineEnd < 0 ? text : text.AsSpan(0, firstLineEnd + 1)).SequenceEqual("ticks_per_beat");
        var builder = new System.Text.StringBuilder(text.Length);
        for (int start = 0; start < text.Length;)
        {
            int length = NextLineLength(text, start);
            var line = text.AsSpan(start, length);
            start += length;
            if (!mtf && line.StartsWith("V:"))
            {
                int nm = line.IndexOf(" nm=");
                int snm = line.IndexOf(" snm=");
                if (nm >= 0) builder.Append(line[..nm]).Append('\n');
                else if (snm >= 0) builder.Append(line[..snm]).Append('\n');
                else builder.Append(line);
            }
            else if (mtf && line.StartsWith("program_change"))
            {
                // " ".join(line.split(" ")[:-1]) + " 0\n": everything before the last space (nothing if there is none).
                int lastSpace = line.LastIndexOf(' ');
                if (lastSpace >= 0) builder.Append(line[..lastSpace]);
                builder.Append(" 0\n");
            }
            else
            {
                builder.Append(line);
            }
        }
        return builder.ToString();
    }

    /// <summary>The same ids as <see cref="Encode(string, bool)"/>, row-major in one array of <c>patchCount · PatchSize</c> (for a tensor).</summary>
    public int[] EncodeToFlatIds(string text, bool addSpecialPatches = true)
    {
        var sink = new IdSink(PatchSize);
        Patchilize(text, addSpecialPatches, sink);
        return sink.ToArray();
    }

    /// <summary>The patch strings before the id conversion (the BOS/EOS patches as <c>\u0001</c>/<c>\u0002</c> repeated).</summary>
    public IReadOnlyList<string> EncodeToPatchStrings(string text, bool addSpecialPatches = true)
    {
        var sink = new StringSink();
        Patchilize(text, addSpecialPatches, sink);
        return sink.Patches;
    }

    /// <summary>Reads a <c>.abc</c>/<c>.mtf</c> file like the official script (strict UTF-8, universal newlines) and encodes it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8 or cannot be patchilized; the message names the file.</exception>
    public int[][] EncodeFile(string path, bool addSpecialPatches = true)
    {
        string text = SourceText.ReadFile(path);
        try
        {
            return Encode(text, addSpecialPatches);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The official <c>decode</c>: the characters of every id above 3 (pad, BOS, EOS and mask ids dropped), concatenated.</summary>
    public static string Decode(IEnumerable<int[]> patches)
    {
        ArgumentNullException.ThrowIfNull(patches);
        var builder = new System.Text.StringBuilder();
        foreach (var patch in patches)
            foreach (int id in patch)
                if (id > MaskId) builder.Append((char)id);
        return builder.ToString();
    }

    private void Patchilize(string text, bool addSpecialPatches, IPatchSink sink)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = AsciiTransliterator.Transliterate(text.Replace("L:1/8\n", "", StringComparison.Ordinal));
        if (text.Length == 0) throw new ArgumentException("the text is empty (no line to patchilize; the official code raises IndexError)", nameof(text));

        if (addSpecialPatches) sink.Add(_bosPatch, appendNewline: false);

        // Lines as the regex ".*?\n|.*$" finds them: each keeps its '\n'; the empty remainder after a final '\n' is dropped.
        int firstLineEnd = text.IndexOf('\n');
        bool mtf = FirstWord(firstLineEnd < 0 ? text : text.AsSpan(0, firstLineEnd + 1)).SequenceEqual("ticks_per_beat");
        if (mtf) PatchilizeMtf(text, sink);
        else PatchilizeAbc(text, sink);

        if (addSpecialPatches) sink.Add(_eosPatch, appendNewline: false);
    }

    private static int NextLineLength(string text, int start)
    {
        int newline = text.IndexOf('\n', start);
        return newline < 0 ? text.Length - start : newline - start + 1;
    }

    /// <summary><c>line.split(" ")[0]</c>: up to the first space, or the whole line (its '\n' included).</summary>
    private static ReadOnlySpan<char> FirstWord(ReadOnlySpan<char> line)
    {
        int space = line.IndexOf(' ');
        return space < 0 ? line : line[..space];
    }

    private void PatchilizeMtf(string text, IPatchSink sink)
    {
        var patch = new CharBuffer(PatchSize * 2);
        for (int start = 0; start < text.Length;)
        {
            int length = NextLineLength(text, start);
            var line = text.AsSpan(start, length);
            start += length;

            var first = FirstWord(line);
            // " ".join(line.split(" ")[1:]) is everything after the first space ("" when there is none).
            var rest = first.Length < line.Length ? line[(first.Length + 1)..] : ReadOnlySpan<char>.Empty;
            if (patch.Span.StartsWith(first) && patch.Length + rest.Length <= PatchSize - 2)
            {
                patch.RemoveLast();
                patch.Append('\t');
                patch.Append(rest);
            }
            else
            {
                if (patch.Length > 0) sink.Add(patch.Span, appendNewline: false);
                patch.Clear();
                patch.Append(line);
            }
        }
        if (patch.Length > 0) sink.Add(patch.Span, appendNewline: false);
    }

    private static void PatchilizeAbc(string text, IPatchSink sink)
    {
        var parts = new List<(int Start, int Length)>();
        for (int start = 0; start < text.Length;)
        {
            int length = NextLineLength(text, start);
            var line = text.AsSpan(start, length);
            start += length;

            if (line.Length > 1 && ((char.IsAsciiLetter(line[0]) && line[1] == ':') || line.StartsWith("%%")))
            {
                sink.Add(line, appendNewline: false);
                continue;
            }
            SplitBars(line, parts);
            int bars = parts.Count / 2;
            for (int b = 0; b < bars; b++)
            {
                // After the empty strings are removed, the pieces of a pair are adjacent in the line.
                var (s0, l0) = parts[2 * b];
                var (_, l1) = parts[2 * b + 1];
                sink.Add(line.Slice(s0, l0 + l1), appendNewline: b == bars - 1);
            }
        }
    }

    /// <summary>
    /// <c>re.split</c> on the barline alternatives with empty strings removed, then a leading barline glued to the next
    /// piece (<c>split_bars</c> up to the pairing). Pieces are ranges of <paramref name="line"/>.
    /// </summary>
    private static void SplitBars(ReadOnlySpan<char> line, List<(int Start, int Length)> parts)
    {
        parts.Clear();
        int textStart = 0;
        int i = 0;
        while (i < line.Length)
        {
            int delimiterLength = MatchDelimiter(line[i..]);
            if (delimiterLength == 0)
            {
                i++;
                continue;
            }
            if (i > textStart) parts.Add((textStart, i - textStart));
            parts.Add((i, delimiterLength));
            i += delimiterLength;
            textStart = i;
        }
        if (line.Length > textStart) parts.Add((textStart, line.Length - textStart));

        var (firstStart, firstLength) = parts[0];
        if (IsDelimiter(line.Slice(firstStart, firstLength)))
        {
            if (parts.Count < 2)
                throw new ArgumentException($"a line consists of the single barline \"{line.ToString()}\" without newline (the official code raises IndexError in split_bars)");
            parts[1] = (firstStart, firstLength + parts[1].Length);
            parts.RemoveAt(0);
        }
    }

    private static int MatchDelimiter(ReadOnlySpan<char> s)
    {
        foreach (var delimiter in BarDelimiters)
            if (s.StartsWith(delimiter)) return delimiter.Length;
        return 0;
    }

    private static bool IsDelimiter(ReadOnlySpan<char> s)
    {
        foreach (var delimiter in BarDelimiters)
            if (s.SequenceEqual(delimiter)) return true;
        return false;
    }

    private interface IPatchSink
    {
        void Add(ReadOnlySpan<char> chars, bool appendNewline);
    }

    /// <summary>Writes <c>bar2patch</c> ids straight into one growing buffer (no per-character allocation).</summary>
    private sealed class IdSink : IPatchSink
    {
        private readonly int _patchSize;
        public int[] Ids = new int[1024];
        public int Count;

        public IdSink(int patchSize)
        {
            _patchSize = patchSize;
            if (Ids.Length < 2 * patchSize) Ids = new int[4 * patchSize];
        }

        public void Add(ReadOnlySpan<char> chars, bool appendNewline)
        {
            int offset = Count * _patchSize;
            if (offset + _patchSize > Ids.Length) Array.Resize(ref Ids, Math.Max(Ids.Length * 2, offset + _patchSize));
            var patch = Ids.AsSpan(offset, _patchSize); // fresh (zero) memory: the padding is already 0
            int n = 0;
            patch[n++] = BosId;
            for (int i = 0; i < chars.Length && n < _patchSize; i++) patch[n++] = chars[i];
            if (appendNewline && n < _patchSize) patch[n++] = '\n';
            if (n < _patchSize) patch[n] = EosId;
            Count++;
        }

        public int[] ToArray() => Ids.AsSpan(0, Count * _patchSize).ToArray();
    }

    private sealed class StringSink : IPatchSink
    {
        public readonly List<string> Patches = new();
        public void Add(ReadOnlySpan<char> chars, bool appendNewline) =>
            Patches.Add(appendNewline ? string.Concat(chars, "\n") : chars.ToString());
    }

    /// <summary>A reusable growable char buffer for the MTF patch being built.</summary>
    private struct CharBuffer
    {
        private char[] _chars;
        public int Length { get; private set; }
        public CharBuffer(int capacity) { _chars = new char[Math.Max(capacity, 16)]; Length = 0; }
        public readonly ReadOnlySpan<char> Span => _chars.AsSpan(0, Length);
        public void Clear() => Length = 0;
        public void RemoveLast() { if (Length > 0) Length--; }
        public void Append(char c) { Ensure(1); _chars[Length++] = c; }
        public void Append(ReadOnlySpan<char> s) { Ensure(s.Length); s.CopyTo(_chars.AsSpan(Length)); Length += s.Length; }
        private void Ensure(int extra)
        {
            if (Length + extra > _chars.Length) Array.Resize(ref _chars, Math.Max(_chars.Length * 2, Length + extra));
        }
    }
}
