namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>Interleaved ABC and the warnings the official script printed while making it (in order, without the
/// file path that it puts before some of them).</summary>
public sealed record InterleaveResult(string Text, IReadOnlyList<string> Warnings);

/// <summary>One line the official script prints for a file; <see cref="PrefixedWithPath"/> lines are printed as
/// <c>&lt;path&gt; &lt;Text&gt;</c>.</summary>
public readonly record struct ScriptOutputLine(string Text, bool PrefixedWithPath)
{
    public string Render(string path) => PrefixedWithPath ? path + " " + Text : Text;
}

/// <summary>The complete outcome for one tune: the interleaved text, or the rejection reason (what the official
/// script prints after the path), and every line it printed, the rejection line included.</summary>
public sealed record InterleaveOutcome(string? Text, string? RejectionReason, IReadOnlyList<ScriptOutputLine> Output)
{
    public bool IsRejected => RejectionReason is not null;

    /// <summary>The printed lines other than the rejection line, without paths.</summary>
    public IReadOnlyList<string> Warnings =>
        Output.Take(IsRejected ? Output.Count - 1 : Output.Count).Select(l => l.Text).ToList();
}

/// <summary>
/// Standard ABC → interleaved ABC, as <c>preprocessing/abc/batch_interleaved_abc.py</c> with abctoolkit does it
/// (PREPROCESS.md §3): drop blank lines and the fields <c>X: T: C: W: w: Z: %%MIDI</c>, xml2abc's bar-number comments
/// and quoted strings containing barlines; cut the voices (from the last <c>V:1</c> line on) into bars; strip leading
/// and trailing empty bars; check the voices' alignment (warnings only); write one line per bar with every voice's
/// bar as <c>[V:n]…|</c>. Thread-safe; no I/O.
/// </summary>
public static partial class AbcInterleaver
{
    private const int MaxLinesInMessage = 3;

    /// <summary>The fields removed from every line start.</summary>
    public static IReadOnlyList<string> RemovedFields => AbcLineFilters.RemovedFields;

    /// <summary>Converts one tune. Line ends may be <c>\n</c>, <c>\r\n</c> or <c>\r</c> (the official script reads the
    /// file with universal newlines); the output uses <c>\n</c>.</summary>
    /// <exception cref="ConversionRejectedException">The official script rejects the tune; the message starts with its
    /// reason (e.g. <c>tunebody index not found.</c> for a tune without a <c>V:1</c> line), followed in parentheses by
    /// the first lines it printed before, if any (all of them are in <see cref="Run(string)"/>'s outcome).</exception>
    public static InterleaveResult Convert(string standardAbc)
    {
        var outcome = Run(standardAbc);
        if (outcome.IsRejected) throw new ConversionRejectedException(RejectionMessage(outcome));
        return new InterleaveResult(outcome.Text!, outcome.Warnings);
    }

    /// <summary>The official reason, followed in parentheses by the first lines printed before it.</summary>
    private static string RejectionMessage(InterleaveOutcome outcome)
    {
        var before = outcome.Warnings;
        if (before.Count == 0) return outcome.RejectionReason!;
        // Keep the message readable: a long tune can print a line per odd bar before it is rejected.
        var shown = string.Join(" ", before.Take(MaxLinesInMessage));
        var more = before.Count > MaxLinesInMessage ? $" … {before.Count - MaxLinesInMessage} more" : "";
        return $"{outcome.RejectionReason} ({shown}{more})";
    }

    /// <summary>Converts one tune and reports everything the official script would print; never throws for bad
    /// input (a rejection is a <see cref="InterleaveOutcome.RejectionReason"/>).</summary>
    public static InterleaveOutcome Run(string standardAbc) => Run(standardAbc, tolerateCheckErrors: false);

    /// <param name="tolerateCheckErrors">Our plain-ABC route only: an error inside the alignment check (which only
    /// prints warnings when it works, e.g. <c>Illegal symbol in []</c> for a chord with lengths inside) is printed and
    /// the tune is still written; the official script rejects the tune.</param>
    private static InterleaveOutcome Run(string standardAbc, bool tolerateCheckErrors)
    {
        ArgumentNullException.ThrowIfNull(standardAbc);
        var output = new List<ScriptOutputLine>();
        void Print(string line) => output.Add(new ScriptOutputLine(line, false)); // the toolkit's own print()s
        InterleaveOutcome Reject(string reason)
        {
            output.Add(new ScriptOutputLine(reason, true));
            return new InterleaveOutcome(null, reason, output);
        }

        try
        {
            var lines = AbcLineFilters.RemoveBlankLines(PythonText.ReadLines(standardAbc));
            lines = AbcLineFilters.RemoveInformationFields(lines, AbcLineFilters.RemovedFields);
            lines = AbcLineFilters.RemoveBarNumberAnnotations(lines);
            lines = AbcLineFilters.RemoveQuotedBarlines(lines);

            List<string>? stripped;
            try { stripped = EmptyBarStripper.Strip(lines, Print); }
            catch (Exception e) when (e is not OutOfMemoryException) { return Reject("Error in stripping empty bars: " + e.Message); }
            if (stripped is null) return Reject("Failed to strip");

            AbcAlignment.Result alignment;
            try { alignment = AbcAlignment.Check(stripped, Print); }
            catch (Exception e) when (tolerateCheckErrors && e is not OutOfMemoryException)
            {
                Print("alignment not checked: " + e.Message);
                alignment = new AbcAlignment.Result(true, true, true);
            }
            if (!alignment.BarCountsEqual) output.Add(new ScriptOutputLine("Unequal bar number", true));
            if (!alignment.BarDurationsEqual) output.Add(new ScriptOutputLine("Unequal bar duration (unaligned)", true));

            List<string> rotated;
            try { rotated = AbcRotator.Rotate(stripped); }
            catch (Exception e) when (e is not OutOfMemoryException) { return Reject("Error in rotating: " + e.Message); }
            return new InterleaveOutcome(string.Concat(rotated), null, output);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The driver's catch-all: prints "<path> <exception>" and skips the file.
            return Reject(e.Message);
        }
    }
}
