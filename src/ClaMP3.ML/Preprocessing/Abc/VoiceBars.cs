namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// One voice cut into bars (<c>split_into_bars_and_barlines</c>): an optional prefix (a leading run of inline fields
/// such as <c>[K:G]</c>), and per bar its left barline, its text and its right barline. Bar <c>i</c>'s left barline is
/// bar <c>i-1</c>'s right one, except the first, which is empty when the voice does not open with a barline.
/// </summary>
internal sealed record VoiceBars(string Prefix, List<string> LeftBarlines, List<string> BarTexts, List<string> RightBarlines)
{
    public int Count => BarTexts.Count;

    /// <summary>Splits a voice's text; raises the toolkit's errors (<c>list index out of range</c>,
    /// <c>Unequal bar elements</c>) where it does.</summary>
    public static VoiceBars Split(string voiceText)
    {
        var items = SplitItems(voiceText);

        string prefix = "";
        int firstBarText;
        if (AbcNotation.IsBarline(items[0])) firstBarText = 1;
        else if (PythonStrings.IsBlank(AbcNotation.RemoveInlineFields(items[0]))) { firstBarText = 2; prefix = PythonStrings.Strip(items[0]); }
        else firstBarText = 0;

        for (int j = firstBarText; j < items.Count; j += 2)
            MoveLeadingAffixToBarline(items, j);

        // Re-tested after the affixes moved: an opening barline that received one (e.g. "|:" + ":") no longer counts.
        int half = items.Count / 2;
        List<string> left, texts, right;
        if (AbcNotation.IsBarline(items[0]))
        {
            left = Pick(items, half, i => i * 2);
            texts = Pick(items, half, i => i * 2 + 1);
            right = Pick(items, half, i => i * 2 + 2);
        }
        else if (prefix.Length == 0)
        {
            left = [""];
            left.AddRange(Pick(items, half - 1, i => i * 2 + 1));
            texts = Pick(items, half, i => i * 2);
            right = Pick(items, half, i => i * 2 + 1);
        }
        else
        {
            left = Pick(items, half - 1, i => i * 2 + 1);
            texts = Pick(items, half - 1, i => i * 2 + 2);
            right = Pick(items, half - 1, i => i * 2 + 3);
        }
        if (left.Count != texts.Count || texts.Count != right.Count) throw new AbcToolkitException("Unequal bar elements");
        return new VoiceBars(prefix, left, texts, right);
    }

    /// <summary>The split into alternating texts and barlines: blank items dropped, then an item equal to its
    /// predecessor dropped (so <c>| |</c> is one barline).</summary>
    private static List<string> SplitItems(string voiceText)
    {
        var raw = AbcNotation.BarlineSplit.Split(PythonStrings.Strip(voiceText)).Where(s => !PythonStrings.IsBlank(s)).ToList();
        var items = new List<string> { PythonText.At(raw, 0) };
        for (int i = 1; i < raw.Count; i++)
            if (raw[i] != raw[i - 1]) items.Add(raw[i]);
        return items;
    }

    /// <summary>A bar text starting with a digit or <c>:</c> (volta numbers <c>|1</c>, <c>:|2</c>, repeat colons) gives
    /// its leading run of <c>0-9 , . - :</c> to the barline before it. Python's <c>for k in range(len)</c> leaves k at
    /// the last index when every character is in the run, so the last character always stays with the text. For
    /// the first item, "the barline before" is Python's item -1, the last one.</summary>
    private static void MoveLeadingAffixToBarline(List<string> items, int j)
    {
        var text = PythonStrings.Strip(items[j]).Replace("\n", "", StringComparison.Ordinal);
        items[j] = text;
        if (text.Length == 0) throw new AbcToolkitException("string index out of range");
        if (!(char.IsAsciiDigit(text[0]) || text[0] == ':'))
            return; // a non-ASCII digit matches \d but is not in the run: nothing moves
        int k = 0;
        for (k = 0; k < text.Length; k++)
            if (!IsAffixChar(text[k])) break;
        if (k == text.Length) k = text.Length - 1;
        var affix = text[..k];
        items[j] = PythonStrings.Strip(text[k..]);
        PythonText.Set(items, j - 1, PythonText.At(items, j - 1) + affix);
    }

    private static bool IsAffixChar(char c) => char.IsAsciiDigit(c) || c is ',' or '.' or '-' or ':';

    private static List<string> Pick(List<string> items, int count, Func<int, int> index)
    {
        var result = new List<string>(Math.Max(count, 0));
        for (int i = 0; i < count; i++) result.Add(PythonText.At(items, index(i)));
        return result;
    }
}

/// <summary>A tune cut into voices and bars (<c>extract_barline_and_bartext_dict</c>).</summary>
internal sealed record TuneBars(List<string> MetadataLines, List<(string Symbol, VoiceBars Bars)> Voices)
{
    public VoiceBars FirstVoice => Voices.First(v => v.Symbol == AbcTuneLayout.FirstVoice).Bars;

    public static TuneBars Parse(IReadOnlyList<string> lines)
    {
        var layout = AbcTuneLayout.Parse(lines);
        return new TuneBars(layout.MetadataLines, layout.Voices.Select(v => (v.Symbol, VoiceBars.Split(v.Text))).ToList());
    }
}
