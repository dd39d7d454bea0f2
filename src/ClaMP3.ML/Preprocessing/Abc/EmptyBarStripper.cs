using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// <c>strip_empty_bars</c>: drops the leading bars in which no voice has anything but rests, and the trailing bars in
/// which no voice has a note, keeping the first left barline and the last right barline of the original; then
/// re-writes every voice as <c>V:n</c> and lines of at most about 100 characters.
/// </summary>
internal static class EmptyBarStripper
{
    private const int MaxLineLength = 100;

    /// <summary>The stripped tune's lines, or null when the official function returns None (after printing why:
    /// <c>Unequal bar numbers.</c> or <c>Empty piece.</c>). <c>Unequal barlines.</c> is printed as a warning only.</summary>
    public static List<string>? Strip(IReadOnlyList<string> lines, Action<string> print)
    {
        var tune = TuneBars.Parse(lines);
        var first = tune.FirstVoice;

        bool barlinesEqual = true, barCountsEqual = true;
        foreach (var (_, bars) in tune.Voices)
        {
            if (!bars.LeftBarlines.SequenceEqual(first.LeftBarlines, StringComparer.Ordinal)) barlinesEqual = false;
            if (!bars.RightBarlines.SequenceEqual(first.RightBarlines, StringComparer.Ordinal)) barlinesEqual = false;
            if (bars.Count != first.Count) barCountsEqual = false;
        }
        if (!barlinesEqual) print("Unequal barlines.");
        if (!barCountsEqual) { print("Unequal bar numbers."); return null; }

        // The union of the voices' non-empty ranges.
        int from = first.Count, to = -1;
        foreach (var (_, bars) in tune.Voices)
        {
            var (left, right) = FindValidBarRange(bars.BarTexts);
            if (left < from) from = left;
            if (right > to) to = right;
        }
        if (from >= to) { print("Empty piece."); return null; }

        var stripped = new List<(string, VoiceBars)>();
        foreach (var (symbol, bars) in tune.Voices)
        {
            var left = new List<string> { PythonText.At(bars.LeftBarlines, 0) };
            left.AddRange(Slice(bars.LeftBarlines, from + 1, to));
            var right = Slice(bars.RightBarlines, from, to - 1);
            right.Add(PythonText.At(bars.RightBarlines, -1));
            stripped.Add((symbol, new VoiceBars(bars.Prefix, left, Slice(bars.BarTexts, from, to), right)));
        }
        return Merge(tune.MetadataLines, stripped);
    }

    /// <summary><c>find_valid_bar_index</c>: the first bar with a letter other than a rest (chord symbols and inline
    /// fields count) and one past the last bar with a note letter A–G/a–g (inline fields removed first);
    /// text annotations and decorations never count.</summary>
    internal static (int From, int To) FindValidBarRange(IReadOnlyList<string> barTexts)
    {
        int left = 0;
        for (; left < barTexts.Count; left++)
        {
            var text = AbcNotation.RemoveTextAnnotations(AbcNotation.RemoveDecorations(barTexts[left]));
            if (PythonText.CodePoints(text).Any(c => c.IsAlpha && c.Rune.Value is not ('Z' or 'z' or 'X' or 'x'))) break;
        }
        int right = barTexts.Count - 1;
        for (; right >= 0; right--)
        {
            var text = AbcNotation.RemoveTextAnnotations(AbcNotation.RemoveInlineFields(AbcNotation.RemoveDecorations(barTexts[right])));
            if (text.Any(c => c is >= 'A' and <= 'G' or >= 'a' and <= 'g')) break;
        }
        return (left, right + 1);
    }

    /// <summary>Python's <c>list[from:to]</c> (bounds clamped, negative ends counted from the end).</summary>
    private static List<string> Slice(List<string> list, int from, int to)
    {
        int n = list.Count;
        int a = from < 0 ? Math.Max(from + n, 0) : Math.Min(from, n);
        int b = to < 0 ? Math.Max(to + n, 0) : Math.Min(to, n);
        return b > a ? list.GetRange(a, b - a) : [];
    }

    /// <summary><c>merge_barline_and_bartext_dict</c>: per voice its symbol line, then
    /// <c>prefix + left0 + ' '</c> followed by <c>text + ' ' + right + ' '</c> per bar; a line takes bars while the
    /// bars' length (code points, prefix not counted) stays within 100; continuation lines start with a space.</summary>
    internal static List<string> Merge(List<string> metadataLines, List<(string Symbol, VoiceBars Bars)> voices)
    {
        var lines = new List<string>(metadataLines);
        foreach (var (symbol, bars) in voices)
        {
            lines.Add(symbol + "\n");
            var line = new StringBuilder(bars.Prefix).Append(PythonText.At(bars.LeftBarlines, 0)).Append(' ');
            int lineLength = 0, index = 0;
            while (index < bars.Count)
            {
                var bar = bars.BarTexts[index] + " " + PythonText.At(bars.RightBarlines, index) + " ";
                int barLength = PythonStrings.CodePointLength(bar);
                if (lineLength == 0 || lineLength + barLength <= MaxLineLength)
                {
                    line.Append(bar);
                    lineLength += barLength;
                    index++;
                }
                else
                {
                    lines.Add(line.Append('\n').ToString());
                    line.Clear().Append(' ');
                    lineLength = 0;
                }
            }
            var last = line.ToString();
            if (!PythonStrings.IsBlank(last)) lines.Add(last + "\n");
        }
        return lines;
    }
}
