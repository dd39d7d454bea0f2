using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary><c>rotate_abc</c>: the interleaved form. The metadata lines, then one line per bar of V:1 holding that bar
/// of every voice in body order, each as <c>[V:n]</c> + text + right barline; the first line also carries each
/// voice's prefix and first left barline.</summary>
internal static class AbcRotator
{
    public static List<string> Rotate(IReadOnlyList<string> lines)
    {
        var tune = TuneBars.Parse(lines);
        var result = tune.MetadataLines.Select(l => l.EndsWith('\n') ? l : l + "\n").ToList();

        var line = new StringBuilder();
        foreach (var (symbol, bars) in tune.Voices)
            line.Append('[').Append(symbol).Append(']').Append(bars.Prefix).Append(PythonText.At(bars.LeftBarlines, 0))
                .Append(PythonText.At(bars.BarTexts, 0)).Append(PythonText.At(bars.RightBarlines, 0));
        result.Add(line.Append('\n').ToString());

        for (int i = 1; i < tune.FirstVoice.Count; i++)
        {
            line.Clear();
            foreach (var (symbol, bars) in tune.Voices)
                line.Append('[').Append(symbol).Append(']').Append(PythonText.At(bars.BarTexts, i)).Append(PythonText.At(bars.RightBarlines, i));
            result.Add(line.Append('\n').ToString());
        }
        return result;
    }
}
