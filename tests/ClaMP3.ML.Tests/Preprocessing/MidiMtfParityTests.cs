using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Midi;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>Byte-for-byte parity with the official <c>batch_midi2mtf.py</c> / <c>batch_mtf2midi.py</c> outputs
/// (fixtures/preprocess, kinds mtf, mtf_full, roundtrip). Every case runs; the message lists each failing case with its
/// first differing line (or byte).</summary>
[TestClass]
public class MidiMtfParityTests
{
    [TestMethod]
    public void Midi2MtfM3CompatibleMatchesEveryFixture() => CheckMidi2Mtf("mtf", m3Compatible: true, expectedCount: 34);

    [TestMethod]
    public void Midi2MtfFullMatchesEveryFixture() => CheckMidi2Mtf("mtf_full", m3Compatible: false, expectedCount: 6);

    private static void CheckMidi2Mtf(string kind, bool m3Compatible, int expectedCount)
    {
        var cases = PreprocessManifest.Cases(kind);
        Assert.AreEqual(expectedCount, cases.Count, $"number of {kind} cases in the manifest");
        var failures = new List<string>();
        int rejected = 0;
        foreach (var c in cases)
        {
            byte[] midi = File.ReadAllBytes(c.InputPath);
            if (c.Expected is null)
            {
                rejected++;
                try
                {
                    string output = MidiToMtf.Convert(midi, m3Compatible);
                    failures.Add($"{c.Id}: the official script rejects it ({c.ErrorLog}), we produced {output.Length} characters");
                }
                catch (ConversionRejectedException e)
                {
                    // The official log line is "<path> <str(exception)>": our reason starts with that text.
                    string errorLog = c.ErrorLog!;
                    string officialReason = errorLog[(errorLog.IndexOf(".mid ", StringComparison.Ordinal) + 5)..];
                    if (!e.Message.StartsWith(officialReason, StringComparison.Ordinal))
                        failures.Add($"{c.Id}: rejected with '{e.Message}', the official reason is '{officialReason}'");
                }
                continue;
            }
            try
            {
                string actual = MidiToMtf.Convert(midi, m3Compatible);
                string expected = PreprocessManifest.ReadUtf8(c.ExpectedPath!);
                if (PreprocessManifest.FirstDifference(expected, actual) is { } diff) failures.Add($"{c.Id}: {diff}");
            }
            catch (ConversionRejectedException e)
            {
                failures.Add($"{c.Id}: rejected ({e.Message}) but the official script converts it");
            }
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {cases.Count} {kind} cases fail:\n" + string.Join("\n", failures));
        if (kind == "mtf") Assert.AreEqual(2, rejected, "the two rejected mtf cases were checked");
    }

    [TestMethod]
    public void Mtf2MidiMatchesEveryRoundtripFixture()
    {
        var cases = PreprocessManifest.Cases("roundtrip");
        Assert.AreEqual(38, cases.Count, "number of roundtrip cases");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            try
            {
                byte[] actual = MtfToMidi.Convert(PreprocessManifest.ReadUtf8(c.InputPath));
                byte[] expected = File.ReadAllBytes(c.ExpectedPath!);
                if (PreprocessManifest.FirstDifference(expected, actual) is { } diff)
                {
                    // Show the difference as MTF lines too: far easier to read than bytes.
                    string? lineDiff = null;
                    try
                    {
                        lineDiff = PreprocessManifest.FirstDifference(MidiToMtf.Convert(expected, false), MidiToMtf.Convert(actual, false));
                    }
                    catch (ConversionRejectedException e)
                    {
                        lineDiff = "ours does not read back: " + e.Message;
                    }
                    failures.Add($"{c.Id}: {diff}; as MTF: {lineDiff ?? "same messages"}");
                }
            }
            catch (ConversionRejectedException e)
            {
                failures.Add($"{c.Id}: rejected ({e.Message}) but the official script converts it");
            }
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {cases.Count} roundtrip cases fail:\n" + string.Join("\n", failures));
    }

    /// <summary>The official MIDI of each roundtrip case, converted back, gives the input MTF minus its unknown_meta
    /// lines (the manifest's <c>remtf_equals_input</c>; mtf2midi skips every line containing "unknown_meta").</summary>
    [TestMethod]
    public void RoundtripMidiConvertsBackToTheInputMtf()
    {
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (var c in PreprocessManifest.Cases("roundtrip"))
        {
            bool m3 = c.Id.StartsWith("roundtrip/m3/", StringComparison.Ordinal);
            string input = PreprocessManifest.ReadUtf8(c.InputPath);
            string expected = string.Join('\n', input.Split('\n').Where(l => !l.Contains("unknown_meta", StringComparison.Ordinal)));
            if (c.RemtfEqualsInput == true) Assert.AreEqual(expected, input, $"{c.Id}: remtf_equals_input means no unknown_meta lines");
            string actual = MidiToMtf.Convert(File.ReadAllBytes(c.ExpectedPath!), m3);
            if (PreprocessManifest.FirstDifference(expected, actual) is { } diff) failures.Add($"{c.Id}: {diff}");
            checkedCount++;
        }
        Assert.AreEqual(38, checkedCount);
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    /// <summary>MIDI → MTF → MIDI → MTF is stable (up to the unknown_meta lines mtf2midi drops), and the second
    /// MIDI is a fixed point: converting it again gives the same bytes.</summary>
    [TestMethod]
    public void MidiMtfMidiMtfIsStable()
    {
        var failures = new List<string>();
        foreach (var kind in new[] { ("mtf", true), ("mtf_full", false) })
        {
            foreach (var c in PreprocessManifest.Cases(kind.Item1).Where(c => c.Expected is not null))
            {
                string mtf1 = MidiToMtf.Convert(File.ReadAllBytes(c.InputPath), kind.Item2);
                byte[] midi2 = MtfToMidi.Convert(mtf1);
                string mtf2 = MidiToMtf.Convert(midi2, kind.Item2);
                string mtf1WithoutUnknown = string.Join('\n', mtf1.Split('\n').Where(l => !l.Contains("unknown_meta", StringComparison.Ordinal)));
                if (PreprocessManifest.FirstDifference(mtf1WithoutUnknown, mtf2) is { } diff) failures.Add($"{c.Id} MTF→MIDI→MTF: {diff}");
                byte[] midi3 = MtfToMidi.Convert(mtf2);
                if (PreprocessManifest.FirstDifference(midi2, midi3) is { } bdiff) failures.Add($"{c.Id} MIDI fixed point: {bdiff}");
            }
        }
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }
}
