using ClaMP3.ML.Tokenization;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Inference;

/// <summary>
/// The input building of the official <c>extract_feature</c> (code/extract_clamp3.py) beyond tokenization: the segment
/// plan, the re-assembly weights, audio framing, and the warning for ABC without barlines. (Text line handling is
/// <see cref="XlmRobertaTokenizer.BuildTextInput"/>, file reading <see cref="SourceText.ReadFile"/>.)
/// </summary>
public static class Clamp3Inputs
{
    /// <summary>One segment of an input: items [Start, Start + Length).</summary>
    public readonly record struct Segment(int Start, int Length);

    /// <summary>
    /// The official chunking: segments start at 0, L, 2L, …, and the last one is replaced by the last L items
    /// <c>[max(N−L, 0), N)</c> (it overlaps the previous one unless L divides N).
    /// </summary>
    public static Segment[] PlanSegments(int length, int maxLength)
    {
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength));
        if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), "An input must have at least one item.");
        int count = (length + maxLength - 1) / maxLength;
        var segments = new Segment[count];
        for (int k = 0; k < count - 1; k++) segments[k] = new Segment(k * maxLength, maxLength);
        int lastStart = Math.Max(length - maxLength, 0);
        segments[count - 1] = new Segment(lastStart, length - lastStart);
        return segments;
    }

    /// <summary>The official global weights: <c>[L]·(N div L) + [N mod L]</c> (the last only if non-zero).</summary>
    public static int[] SegmentWeights(int length, int maxLength)
    {
        int full = length / maxLength, rest = length % maxLength;
        var weights = Enumerable.Repeat(maxLength, full).ToList();
        if (rest != 0) weights.Add(rest);
        return weights.ToArray();
    }

    /// <summary>How many rows of the last segment's output the official sequence output keeps (<c>[-(N % L):]</c>, all when 0).</summary>
    public static int RowsKeptFromLastSegment(int length, int maxLength, int lastSegmentLength)
    {
        int rest = length % maxLength;
        return rest == 0 ? lastSegmentLength : rest;
    }

    /// <summary>MERT feature rows framed as officially: one zero row before and one after (N = T + 2).</summary>
    public static float[] FrameAudioRows(ReadOnlySpan<float> values, int rows, int width)
    {
        var framed = new float[checked((rows + 2) * width)];
        values[..(rows * width)].CopyTo(framed.AsSpan(width));
        return framed;
    }

    /// <summary>True when the official patchilizer treats the text as MTF (first word of the first line is <c>ticks_per_beat</c>).</summary>
    public static bool LooksLikeMtf(string score)
    {
        var firstLine = score.AsSpan();
        int newline = firstLine.IndexOf('\n');
        if (newline >= 0) firstLine = firstLine[..newline];
        int space = firstLine.IndexOf(' ');
        return (space >= 0 ? firstLine[..space] : firstLine).SequenceEqual("ticks_per_beat");
    }

    private static readonly Regex Barline = new(@"\|", RegexOptions.Compiled);

    /// <summary>
    /// A warning when ABC is not in the interleaved form CLaMP 3 was trained on (every music line starts with a
    /// <c>[V:n]</c> bar prefix, as the official <c>batch_interleaved_abc.py</c> writes): the official
    /// <c>extract_clamp3.py</c> embeds whatever it is given, and so do we, but plain ABC lands elsewhere in the space.
    /// </summary>
    public static string? DescribeNonInterleavedAbc(string score)
    {
        if (LooksLikeMtf(score)) return null;
        int number = 0;
        foreach (var line in SourceText.NormalizeNewlines(score).Split('\n'))
        {
            number++;
            if (line.Trim().Length == 0 || line.StartsWith('%')) continue;
            bool field = line.Length > 1 && char.IsLetter(line[0]) && line[1] == ':';
            if (field || line.StartsWith("[V:", StringComparison.Ordinal)) continue;
            return $"the ABC is not interleaved (line {number} does not start with a [V:n] bar prefix): CLaMP 3 reads the " +
                   "interleaved ABC of the official batch_interleaved_abc.py; convert it first (clamp3 convert abc2interleaved, " +
                   "AbcInterleaver.Convert(abc, acceptPlainAbc: true) or mlContext.Transforms.ConvertAbcToInterleaved). Embedded as given.";
        }
        return null;
    }

    /// <summary>
    /// A warning when an ABC score will be embedded from its header alone: the patchilizer keeps only complete
    /// (text, barline) pairs of a music line, so lines without a barline vanish (quirk of the official code).
    /// </summary>
    public static string? DescribeBarlessAbc(string score)
    {
        if (LooksLikeMtf(score)) return null;
        bool anyMusicLine = false;
        foreach (var line in SourceText.NormalizeNewlines(score).Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            bool header = line.Length > 1 && ((char.IsLetter(line[0]) && line[1] == ':') || line.StartsWith("%%", StringComparison.Ordinal));
            if (header) continue;
            if (Barline.IsMatch(line)) return null;
            anyMusicLine = true;
        }
        return anyMusicLine
            ? "no music line has a barline: the official patchilizer drops such lines, so only the header and the special patches are embedded"
            : "the score has no music lines: only the header and the special patches are embedded";
    }
}
