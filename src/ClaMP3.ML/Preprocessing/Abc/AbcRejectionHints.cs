namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>What a rejected tune lacks and what to do, appended to the official reason (which stays first, so the
/// official text can still be compared).</summary>
internal static class AbcRejectionHints
{
    private const string SameBars = "give every voice the same number of bars (fill a shorter voice with rests such as z4|)";

    public static string Explain(InterleaveOutcome outcome, bool plainAbcTried)
    {
        var reason = outcome.RejectionReason ?? "";
        var hint = Hint(reason, outcome.Warnings, plainAbcTried);
        return plainAbcTried ? $"after our plain-ABC rewriting it still fails ({reason}): {hint}" : hint;
    }

    public static string NotAbc(string abc) =>
        abc.Split('\n').Any(l => l.TrimStart().StartsWith("K:", StringComparison.Ordinal))
            ? "the tune has no music after its K: line: write the notes, with barlines |, after the header"
            : "the tune has no K: (key) line, so it is not read as ABC: an ABC header ends with K:, e.g. K:C, before the music";

    private static string Hint(string reason, IReadOnlyList<string> printed, bool plainAbcTried)
    {
        if (reason == "tunebody index not found.")
            return plainAbcTried
                ? "the tune has no line V:1: add a line V:1 before the music"
                : "the tune has no line V:1, the first voice of the interleaved format: convert with plain-ABC support " +
                  "(on by default; leave out --official / set AcceptPlainAbc), or add a line V:1 before the music and number other voices V:2, V:3, …";
        if (reason == "Failed to strip")
            return printed.Contains("Empty piece.") ? "no bar holds a note: the tune has no music to embed" : "its voices have different numbers of bars: " + SameBars;
        if (reason.StartsWith("Error in stripping empty bars", StringComparison.Ordinal))
            return "a voice has no bars (music without a barline |, or a V: line with nothing after it): end every bar of every voice with |";
        if (reason.StartsWith("Illegal symbol in []", StringComparison.Ordinal))
            return "a chord in brackets holds note lengths inside (e.g. [C2E2]): write the length after the chord ([CE]2)" +
                   (plainAbcTried ? "" : ", or convert with plain-ABC support (on by default), which writes such tunes without this check");
        if (reason.StartsWith("Error in rotating", StringComparison.Ordinal) || reason == "Unequal bar elements")
            return "the voices' bars do not line up (two barlines in a row, or a bar without its barline): write one | between bars and " + SameBars;
        return "the official interleaver cannot read this tune: check that every voice is numbered (V:1, V:2, …), that every bar ends with | " +
               "and that all voices have the same number of bars; or go through MusicXML (abc2xml, then clamp3 convert xml2interleaved)";
    }
}
