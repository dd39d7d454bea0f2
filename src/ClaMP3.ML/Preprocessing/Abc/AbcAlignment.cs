namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary><c>check_alignment_unrotated</c>: whether all voices have V:1's barlines, bar count and, bar by bar,
/// V:1's duration estimate.</summary>
internal static class AbcAlignment
{
    public readonly record struct Result(bool BarlinesEqual, bool BarCountsEqual, bool BarDurationsEqual);

    /// <summary>Raises where the toolkit raises outside its estimator (a bar split error, an illegal chord symbol);
    /// the estimator's own errors and <c>Odd bar duration</c> lines are added to <paramref name="printed"/>.</summary>
    public static Result Check(IReadOnlyList<string> lines, ICollection<string> printed)
    {
        var tune = TuneBars.Parse(lines);
        var first = tune.FirstVoice;
        bool barlinesEqual = true, countsEqual = true, durationsEqual = true;
        foreach (var (_, bars) in tune.Voices)
        {
            if (!bars.LeftBarlines.SequenceEqual(first.LeftBarlines, StringComparer.Ordinal)) barlinesEqual = false;
            if (!bars.RightBarlines.SequenceEqual(first.RightBarlines, StringComparer.Ordinal)) barlinesEqual = false;
            if (bars.Count != first.Count) countsEqual = false;
        }

        for (int i = 0; i < first.Count; i++)
        {
            var reference = BarDurationEstimator.Estimate(first.BarTexts[i], printed);
            if (reference is null) { durationsEqual = false; break; }
            foreach (var (symbol, bars) in tune.Voices)
            {
                if (symbol == AbcTuneLayout.FirstVoice) continue;
                if (BarDurationEstimator.Estimate(PythonText.At(bars.BarTexts, i), printed) != reference)
                {
                    printed.Add($"Odd bar duration  {symbol}  bar  {i}");
                    durationsEqual = false;
                }
            }
        }
        return new Result(barlinesEqual, countsEqual, durationsEqual);
    }
}
