using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>The individual rules of the official ABC → interleaved ABC conversion on small hand-written tunes. The
/// expected texts were checked against the official script's algorithm (abctoolkit run under CPython 3.11).</summary>
[TestClass]
public sealed class AbcInterleaverRulesTests
{
    private static InterleaveOutcome Run(string abc) => AbcInterleaver.Run(abc);

    private static void AssertWritten(string expected, InterleaveOutcome outcome)
    {
        Assert.IsFalse(outcome.IsRejected, "rejected: " + outcome.RejectionReason);
        Assert.AreEqual(expected, outcome.Text);
    }

    private const string TwoVoicesWithBarNumbers =
        "X:1\nT:Title\nQ:1/4=120 %5\nL:1/8\nK:G\nV:1 treble\nV:2 bass\n" +
        "V:1\n|: GABc dedB | %1\n c2 e2 d4 :| %2\nV:2\n|: G,4 D,4 | %1\n C,4 D,4 :| %2\n";

    [TestMethod]
    public void BarNumberCommentsGoFromTheBodyOnlyAndEachBarBecomesOneLine()
    {
        // "%5" in the header stays: only lines from the last "V:1" on lose a trailing %<digits>. X: and T: go.
        AssertWritten(
            "Q:1/4=120 %5\nL:1/8\nK:G\nV:1 treble\nV:2 bass\n" +
            "[V:1]|:GABc dedB|[V:2]|:G,4 D,4|\n[V:1]c2 e2 d4:|[V:2]C,4 D,4:|\n",
            Run(TwoVoicesWithBarNumbers));
    }

    [TestMethod]
    public void CrLfAndLoneCrReadLikeUniversalNewlines()
    {
        var lf = Run(TwoVoicesWithBarNumbers).Text;
        Assert.AreEqual(lf, Run(TwoVoicesWithBarNumbers.Replace("\n", "\r\n")).Text);
        Assert.AreEqual(lf, Run(TwoVoicesWithBarNumbers.Replace("\n", "\r")).Text);
    }

    [TestMethod]
    public void InformationFieldsAndMidiDirectivesAreRemovedEverywhere()
    {
        var abc = "X:3\nT:Song\nC:Someone\nZ:me\n%%MIDI program 1\nL:1/8\nK:D\nV:1\nW:hidden\nV:2\n" +
                  "V:1\n%%MIDI channel 2\nd4 f4 |\nw: la la\nV:2\nD4 F4 |\n";
        AssertWritten("L:1/8\nK:D\nV:1\nV:2\n[V:1]d4 f4|[V:2]D4 F4|\n", Run(abc));
        CollectionAssert.AreEqual(new[] { "X:", "T:", "C:", "W:", "w:", "Z:", "%%MIDI" }, AbcInterleaver.RemovedFields.ToArray());
    }

    [TestMethod]
    public void QuotedStringsWithBarlinesAreRemovedAndTheirLineKeepsItsEscapedQuotes()
    {
        // V:1: "A|m" and "^a::b" hold barline symbols and go; because the official code then rewrites the line from
        // the original, its \" stay. V:2 has no such string, so its \" are removed.
        var abc = "K:C\nV:1\nV:2\nV:1\n\"A|m\"A2 \\\"x\\\" \"Am\"B2 | \"^a::b\"c4 |\nV:2\nC4 | \\\"y\\\" C4 |\n";
        var outcome = Run(abc);
        AssertWritten("K:C\nV:1\nV:2\n[V:1]A2 \\\"x\\\" \"Am\"B2|[V:2]C4|\n[V:1]c4|[V:2]y C4|\n", outcome);
        // The estimator cannot read "A2 \"x\"": a warning, not a rejection.
        CollectionAssert.AreEqual(new[] { "A2 \\\"x\\\" \"Am\"B2 Invalid literal for Fraction: '2 \\\\'", "Unequal bar duration (unaligned)" },
            outcome.Warnings.ToArray());
    }

    [TestMethod]
    public void EmptyBarsAreStrippedAtBothEndsKeepingTheOuterBarlines()
    {
        // Leading: bar 0 is rests in every voice; bar 1 has the chord symbol "G", which counts as content at the start.
        // Trailing: bar 5 is rests only and goes; bar 4 keeps because "C" is a letter A-G. The first left barline
        // "|:" and the last right barline ":|" of the original survive.
        var abc = "K:C\nV:1\nV:2\nV:1\n|: z4 | \"G\" z4 | A4 | B4 | \"C\" z4 | z4 :|\nV:2\n|: z4 | z4 | C4 | z4 | z4 | x4 :|\n";
        AssertWritten("K:C\nV:1\nV:2\n[V:1]|:\"G\" z4|[V:2]|:z4|\n[V:1]A4|[V:2]C4|\n[V:1]B4|[V:2]z4|\n[V:1]\"C\" z4:|[V:2]z4:|\n", Run(abc));
    }

    [TestMethod]
    public void AllRestsIsAnEmptyPiece()
    {
        var outcome = Run("K:C\nV:1\nV:2\nV:1\nz4 | x4 |\nV:2\nz4 | z4 |\n");
        Assert.AreEqual("Failed to strip", outcome.RejectionReason);
        CollectionAssert.AreEqual(new[] { "Empty piece." }, outcome.Warnings.ToArray());
    }

    [TestMethod]
    public void VoicesWithDifferentBarCountsAreRejected()
    {
        var abc = "K:C\nV:1\nV:2\nV:1\nA4 | B4 | c4 |\nV:2\nC4 | D4 |\n";
        var outcome = Run(abc);
        Assert.AreEqual("Failed to strip", outcome.RejectionReason);
        CollectionAssert.AreEqual(new[] { "Unequal barlines.", "Unequal bar numbers." }, outcome.Warnings.ToArray());
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => AbcInterleaver.Convert(abc));
        Assert.AreEqual("Failed to strip (Unequal barlines. Unequal bar numbers.)", e.Message);
    }

    [TestMethod]
    public void ATuneWithoutAV1LineIsRejected()
    {
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => AbcInterleaver.Convert("X:1\nT:Tune\nK:G\nGABc|dedB|\n"));
        Assert.AreEqual("tunebody index not found.", e.Message);
        // "V: 1" (with a space) is not "V:1".
        Assert.AreEqual("tunebody index not found.", Run("K:G\nV: 1\nGABc|dedB|\n").RejectionReason);
    }

    [TestMethod]
    public void VoltaNumbersAndRepeatColonsStayWithTheirBarline()
    {
        var abc = "K:C\nV:1\nV:2\nV:1\n|: A4 |1 B4 :|2 c4 |]\nV:2\n|: C4 |1 D4 :|2 E4 |]\n";
        AssertWritten("K:C\nV:1\nV:2\n[V:1]|:A4|1[V:2]|:C4|1\n[V:1]B4:|2[V:2]D4:|2\n[V:1]c4|][V:2]E4|]\n", Run(abc));
    }

    [TestMethod]
    public void LeadingInlineFieldsBecomeTheVoicePrefix()
    {
        var abc = "K:C\nV:1\nV:2\nV:1\n[K:G][M:3/4] A2B | c3 |]\nV:2\n[K:G] G,3 | C3 |]\n";
        AssertWritten("K:C\nV:1\nV:2\n[V:1][K:G][M:3/4] A2B|[V:2][K:G] G,3|\n[V:1]c3|][V:2]C3|]\n", Run(abc));
    }

    [TestMethod]
    public void UnequalBarDurationsAreWarningsAndTheFileIsStillWritten()
    {
        var abc = "K:C\nV:1\nV:2\nV:1\n(3ABc A | A>B c2 | A4 |\nV:2\nC3 | C4 | C2 |\n";
        var outcome = Run(abc);
        AssertWritten("K:C\nV:1\nV:2\n[V:1](3ABc A|[V:2]C3|\n[V:1]A>B c2|[V:2]C4|\n[V:1]A4|[V:2]C2|\n", outcome);
        CollectionAssert.AreEqual(new[] { "Odd bar duration  V:2  bar  2", "Unequal bar duration (unaligned)" }, outcome.Warnings.ToArray());
        Assert.IsTrue(outcome.Output[^1].PrefixedWithPath);
        Assert.AreEqual("x.abc Unequal bar duration (unaligned)", outcome.Output[^1].Render("x.abc"));
    }

    [TestMethod]
    public void AChordWithADurationInsideIsRejected()
    {
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() =>
            AbcInterleaver.Convert("K:C\nV:1\nV:2\nV:1\n[CEG]4 | [C2E]2 z2 |\nV:2\nC4 | C4 |\n"));
        Assert.AreEqual("Illegal symbol in [] [C2E]", e.Message);
    }

    [TestMethod]
    public void VoicesComeInBodyOrderAndAnEmptyVoiceIsRejected()
    {
        AssertWritten("K:C\nV:1\nV:3\nV:2\n[V:1]A4|[V:3]E4|[V:2]C4|\n", Run("K:C\nV:1\nV:3\nV:2\nV:1\nA4 |\nV:3\nE4 |\nV:2\nC4 |\n"));
        Assert.AreEqual("Error in stripping empty bars: list index out of range", Run("K:C\nV:1\nA4 |\nV:2\n").RejectionReason);
    }
}

/// <summary>abctoolkit's text-only bar duration estimate (in unit note lengths).</summary>
[TestClass]
public sealed class BarDurationEstimatorTests
{
    private static string? Estimate(string bar, List<string>? printed = null) =>
        BarDurationEstimator.Estimate(bar, (printed ?? []).Add)?.ToString();

    [TestMethod]
    [DataRow("ABcd", "4")]
    [DataRow("A2 B/ c/ d3/2", "9/2")]
    [DataRow("A3 z x2 Z", "7")]
    [DataRow("(3ABc d", "3")]
    [DataRow("(3:2:3A2B2c2", "4")]
    [DataRow("(5:4:5ABcde", "4")]
    [DataRow("A>B c<d", "4")]
    [DataRow("[CEG]2 [ceg]", "3")]
    [DataRow("\"Am\"!p!{ga}A2 [K:G]B", "3")]
    [DataRow("(3(3ABcdef g", "16/3")] // nested: the outer mark waits for the inner one
    [DataRow("(3:2:2A3B3", "4")] // 6 * 2/3
    [DataRow(">A B", "2")] // a leading '>' pairs with Python's item -1, the last note
    [DataRow("", "0")]
    public void KnownBars(string bar, string expected)
    {
        var printed = new List<string>();
        var actual = Estimate(bar, printed);
        Assert.AreEqual(expected, actual, bar);
        Assert.IsEmpty(printed);
    }

    [TestMethod]
    [DataRow("A3/ B", "Invalid literal for Fraction: '3/'")]
    [DataRow("A2 e//", "Invalid literal for Fraction: '1//'")]
    [DataRow("A1/0", "Fraction(1, 0)")]
    [DataRow("(3:2 ABC", "list index out of range")]
    [DataRow("(0:1:1 A", "Illegal (p:q:r (0:1:1")]
    [DataRow("(3::3 ABC", "invalid literal for int() with base 10: ''")]
    [DataRow("A B>", "string index out of range")]
    [DataRow("(3AB", "list index out of range")]
    public void UnreadableBarsPrintTheToolkitError(string bar, string error)
    {
        var printed = new List<string>();
        Assert.IsNull(BarDurationEstimator.Estimate(bar, printed.Add));
        CollectionAssert.AreEqual(new[] { bar + " " + error }, printed);
    }
}
