using System.Text.Json;
using ClaMP3.ML.IO;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Tokenization;

[TestClass]
public class M3PatchilizerTests
{
    private static int FixturePatchSize()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "config.json")));
        return config.RootElement.GetProperty("symbolic").GetProperty("patch_size").GetInt32();
    }

    private static IEnumerable<(string Kind, string Name, string Input, string Ids, string Patches, int Length)> SymbolicCases()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "manifest.json")));
        var list = new List<(string, string, string, string, string, int)>();
        foreach (var c in manifest.RootElement.GetProperty("cases").EnumerateArray())
        {
            string kind = c.GetProperty("kind").GetString()!;
            if (kind is not ("abc" or "mtf")) continue;
            var files = c.GetProperty("files");
            list.Add((kind, c.GetProperty("name").GetString()!,
                TestPaths.Fixture("clamp3-tiny", c.GetProperty("input").GetString()!),
                TestPaths.Fixture("clamp3-tiny", files.GetProperty("ids").GetString()!),
                TestPaths.Fixture("clamp3-tiny", files.GetProperty("patches").GetString()!),
                c.GetProperty("length").GetInt32()));
        }
        return list;
    }

    [TestMethod]
    public void EveryAbcAndMtfCaseMatchesTheFixtureIds()
    {
        var patchilizer = new M3Patchilizer(FixturePatchSize());
        var failures = new List<string>();
        int count = 0;
        foreach (var c in SymbolicCases())
        {
            count++;
            var expected = NpyFile.Read(c.Ids);
            var actual = patchilizer.EncodeFile(c.Input);
            string label = $"{c.Kind}/{c.Name}";
            if (expected.Shape.Length != 2 || expected.Shape[0] != actual.Length || expected.Shape[1] != patchilizer.PatchSize)
            {
                failures.Add($"{label}: shape expected [{string.Join(",", expected.Shape)}], actual [{actual.Length},{patchilizer.PatchSize}]");
                continue;
            }
            Assert.AreEqual(c.Length, actual.Length, $"{label}: manifest length");
            var flat = expected.ToInt64();
            for (int p = 0; p < actual.Length; p++)
            {
                var diff = XlmRobertaTokenizerTests.Difference(flat.AsSpan(p * patchilizer.PatchSize, patchilizer.PatchSize).ToArray(),
                    actual[p].Select(i => (long)i).ToArray());
                if (diff != null) { failures.Add($"{label}: patch {p}: {diff}"); break; }
            }
            CollectionAssert.AreEqual(actual.SelectMany(p => p).ToArray(), patchilizer.EncodeToFlatIds(SourceText.ReadFile(c.Input)), $"{label}: flat ids");
        }
        Assert.AreEqual(14, count, "abc + mtf cases in the manifest");
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void PatchStringsMatchTheFixturePatches()
    {
        var patchilizer = new M3Patchilizer(FixturePatchSize());
        foreach (var c in SymbolicCases())
        {
            var expected = JsonSerializer.Deserialize<string[]>(File.ReadAllText(c.Patches))!;
            var actual = patchilizer.EncodeToPatchStrings(SourceText.ReadFile(c.Input));
            Assert.HasCount(expected.Length, actual, $"{c.Kind}/{c.Name}: patch count");
            for (int p = 0; p < expected.Length; p++)
                Assert.AreEqual(expected[p], actual[p], $"{c.Kind}/{c.Name}: patch {p}");
        }
    }

    [TestMethod]
    public void SpecialPatchesAndPaddingFollowBar2Patch()
    {
        var patchilizer = new M3Patchilizer(8);
        var patches = patchilizer.Encode("X:1\n|ab|\n");
        Assert.HasCount(4, patches);
        CollectionAssert.AreEqual(Enumerable.Repeat(1, 8).ToArray(), patches[0], "BOS = [1]*P");
        CollectionAssert.AreEqual(new[] { 1, 'X', ':', '1', '\n', 2, 0, 0 }, patches[1]);
        CollectionAssert.AreEqual(new[] { 1, '|', 'a', 'b', '|', '\n', 2, 0 }, patches[2]);
        CollectionAssert.AreEqual(new[] { 1, 2, 2, 2, 2, 2, 2, 2 }, patches[3], "EOS = [1] + [2]*(P-1)");
        Assert.HasCount(2, patchilizer.Encode("X:1\n|ab|\n", addSpecialPatches: false));
    }

    [TestMethod]
    public void AbcQuirksAreReproduced()
    {
        var patchilizer = new M3Patchilizer(64);
        // Text after the last barline is dropped; a leading barline is glued to the first bar; every barline kind splits.
        CollectionAssert.AreEqual(new[] { "|: AB cd :|\n" }, patchilizer.EncodeToPatchStrings("|: AB cd :| ef\n", false).ToArray());
        CollectionAssert.AreEqual(new[] { "a|", "b||", "c|]", "d[|", "e::", "f|:", "g:|\n" },
            patchilizer.EncodeToPatchStrings("a|b||c|]d[|e::f|:g:|h\n", false).ToArray());
        // A line without barline vanishes; a % comment with a barline is cut like music; L:1/8\n is removed anywhere.
        CollectionAssert.AreEqual(new[] { "% see |\n", "%%MIDI comment mentions K:G\n" },
            patchilizer.EncodeToPatchStrings("D2 \\\n% see | here\n%%MIDI comment mentions L:1/8\nK:G\n", false).ToArray());
        // "L: 1/8" (with a space) stays; info lines are never split even when longer than the patch.
        var longInfo = "T:" + new string('x', 100) + "|\n";
        CollectionAssert.AreEqual(new[] { "L: 1/8\n", longInfo }, patchilizer.EncodeToPatchStrings("L: 1/8\n" + longInfo, false).ToArray());
        var ids = patchilizer.Encode(longInfo, false)[0];
        Assert.AreEqual('x', ids[63], "a patch longer than P-2 characters is cut and loses its end id");
        // Transliteration happens before splitting: ß -> ss counts two characters.
        CollectionAssert.AreEqual(new[] { "Straße|".Replace("ß", "ss") + "\n" }, patchilizer.EncodeToPatchStrings("Straße|\n", false).ToArray());
    }

    [TestMethod]
    public void MtfMergesMessagesUpToPatchSizeMinusTwo()
    {
        const string text = "ticks_per_beat 96\nnote_on 0 1 2\nnote_on 3 4\nnote_on 5\nnote_off 1 2\nnote_off 3 4 5";
        // P = 16, limit 14: "note_on 0 1 2\n" (14) + "3 4\n" (4) is refused; "note_on 3 4\n" (12) + "5\n" (2) = 14 merges.
        CollectionAssert.AreEqual(new[] { "ticks_per_beat 96\n", "note_on 0 1 2\n", "note_on 3 4\t5\n", "note_off 1 2\n", "note_off 3 4 5" },
            new M3Patchilizer(16).EncodeToPatchStrings(text, false).ToArray());
        // P = 15, limit 13: 12 + 2 = 14 is one too many.
        CollectionAssert.AreEqual(new[] { "ticks_per_beat 96\n", "note_on 0 1 2\n", "note_on 3 4\n", "note_on 5\n", "note_off 1 2\n", "note_off 3 4 5" },
            new M3Patchilizer(15).EncodeToPatchStrings(text, false).ToArray());
        // P = 20, limit 18: 14 + 4 = 18 merges, the merged patch (18) + "5\n" is refused; the last line has no newline.
        CollectionAssert.AreEqual(new[] { "ticks_per_beat 96\n", "note_on 0 1 2\t3 4\n", "note_on 5\n", "note_off 1 2\t3 4 5" },
            new M3Patchilizer(20).EncodeToPatchStrings(text, false).ToArray());
    }

    [TestMethod]
    public void SingleBarlineLineWithoutNewlineIsReportedClearly()
    {
        var patchilizer = new M3Patchilizer(64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => patchilizer.Encode("X:1\n|abc|\n|"));
        StringAssert.Contains(e.Message, "single barline");
        Assert.ThrowsExactly<ArgumentException>(() => patchilizer.Encode(""));
        Assert.ThrowsExactly<ArgumentException>(() => patchilizer.Encode("L:1/8\n"));

        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "bad.abc");
        File.WriteAllText(path, "X:1\n|abc|\n||");
        var fileError = Assert.ThrowsExactly<InvalidDataException>(() => patchilizer.EncodeFile(path));
        StringAssert.Contains(fileError.Message, path);
    }

    [TestMethod]
    public void DecodeDropsSpecialIds()
    {
        var patchilizer = new M3Patchilizer(32);
        var patches = patchilizer.Encode("X:1\nK:G\n|abc|def|\n");
        Assert.AreEqual("X:1\nK:G\n|abc|def|\n", M3Patchilizer.Decode(patches));
    }

    [TestMethod]
    public void RemoveInstrumentInfoMatchesTheOfficialFunction()
    {
        // Expected strings computed with the official remove_instrument_info (code/utils.py).
        Assert.AreEqual("X:1\nV:1 treble\nV:2\nV:3 clef=bass\nabc|\nV:4\n",
            M3Patchilizer.RemoveInstrumentInfo("X:1\nV:1 treble nm=\"Flute\" snm=\"Fl.\"\nV:2 snm=\"Ob.\" clef=bass\nV:3 clef=bass\nabc|\nV:4 nm=\"x\""));
        Assert.AreEqual("ticks_per_beat 480\nprogram_change 0 0 0\nnote_on 0 0 60 80\nprogram_change 5 1 0\n 0\n",
            M3Patchilizer.RemoveInstrumentInfo("ticks_per_beat 480\nprogram_change 0 0 73\nnote_on 0 0 60 80\nprogram_change 5 1 0\nprogram_change"));
        Assert.ThrowsExactly<ArgumentException>(() => M3Patchilizer.RemoveInstrumentInfo(""));
    }

    [TestMethod]
    public void TruncationKeepsTheOfficialWindows()
    {
        var patchilizer = new M3Patchilizer(FixturePatchSize());
        var coleraine = SymbolicCases().Single(c => c.Kind == "abc" && c.Name == "coleraine");
        var text = SourceText.ReadFile(coleraine.Input);
        var all = patchilizer.Encode(text);
        Assert.HasCount(70, all);
        var head = patchilizer.Encode(text, true, 32, SequenceTruncation.Head);
        CollectionAssert.AreEqual(all[..32].SelectMany(p => p).ToArray(), head.SelectMany(p => p).ToArray(), "head = first 32 (EOS lost)");
        var tail = patchilizer.Encode(text, true, 32, SequenceTruncation.Tail);
        CollectionAssert.AreEqual(all[^32..].SelectMany(p => p).ToArray(), tail.SelectMany(p => p).ToArray(), "tail = last 32 (BOS lost)");
        var starts = new HashSet<int>();
        var random = new Random(1);
        for (int k = 0; k < 2000; k++)
        {
            var middle = patchilizer.Encode(text, true, 32, SequenceTruncation.Middle, random);
            int start = Enumerable.Range(0, 70 - 32 + 1).Single(s => middle[0].SequenceEqual(all[s]) && middle[31].SequenceEqual(all[s + 31]));
            starts.Add(start);
        }
        CollectionAssert.AreEquivalent(Enumerable.Range(1, 70 - 32).ToArray(), starts.ToArray(), "randint(1, N-L): every start but 0");
        Assert.AreSame(all, SequenceTruncations.Apply(all, 70, SequenceTruncation.Middle), "short enough: unchanged");
    }
}
