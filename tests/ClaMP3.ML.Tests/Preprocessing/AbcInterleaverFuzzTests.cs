using System.Diagnostics;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>Random line and character mutations of the fixture tunes: the interleaver must either convert or reject
/// with a reason, never throw anything else, never hang, and give the same answer twice.</summary>
[TestClass]
public sealed class AbcInterleaverFuzzTests
{
    private static readonly string[] Tokens =
    [
        "|", "||", "|]", ":|", "|:", "::", "[|", "|1", ":|2", "||:", ":||", "[|:", ":|]", "|]:", ":[|", "(3", "(3:2:3", "(5",
        "(3::", "(0:1:1", ">", "<", "\"A|m\"", "\"^x\"", "!p!", "{g}", "[CEG]", "[C2E]", "[K:G]", "[V:2]", "z", "x4", "A/",
        "A//", "A3/", "A1/0", "\\\"", "%5", "\t", "~", "1", ":", "\"", "[", "]", "!", "{", "(", "é", "😀", "\u001c", "٣", "²",
    ];

    private static readonly string[] Lines = ["V:1", "V:2", "V: 2", "%%MIDI program 1", "w: la", "[K:G]", "|", "z|", "", "%12", "T:x"];

    [TestMethod]
    public void MutatedTunesAreConvertedOrRejectedNeverCrash()
    {
        var seeds = Directory.GetFiles(TestPaths.Fixture("preprocess", "interleaved", "input"), "*.abc")
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        var random = new Random(20250);
        int written = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        for (int iteration = 0; iteration < 800; iteration++)
        {
            var lines = seeds[random.Next(seeds.Length)].Split('\n').ToList();
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits && lines.Count > 0; e++)
            {
                int i = random.Next(lines.Count);
                switch (random.Next(5))
                {
                    case 0: lines.RemoveAt(i); break;
                    case 1: lines.Insert(i, Lines[random.Next(Lines.Length)]); break;
                    case 2: lines.Insert(i, lines[i]); break;
                    default:
                        var line = lines[i];
                        int at = random.Next(line.Length + 1);
                        lines[i] = random.Next(3) == 0 && at < line.Length
                            ? line.Remove(at, Math.Min(line.Length - at, random.Next(1, 4)))
                            : line.Insert(at, Tokens[random.Next(Tokens.Length)]);
                        break;
                }
            }
            var abc = string.Join(random.Next(10) == 0 ? "\r\n" : "\n", lines);

            InterleaveOutcome first;
            try { first = AbcInterleaver.Run(abc); }
            catch (Exception ex) { Assert.Fail($"iteration {iteration}: {ex.GetType().Name}: {ex.Message}\n{abc}"); return; }
            if (first.IsRejected)
            {
                rejected++;
                Assert.IsFalse(string.IsNullOrEmpty(first.RejectionReason), $"iteration {iteration}: empty reason");
                Assert.ThrowsExactly<ConversionRejectedException>(() => AbcInterleaver.Convert(abc), $"iteration {iteration}");
            }
            else
            {
                written++;
                Assert.AreEqual(first.Text, AbcInterleaver.Convert(abc).Text, $"iteration {iteration}: not deterministic");
                Assert.IsTrue(first.Text!.EndsWith('\n') && first.Text.Contains("[V:1]"), $"iteration {iteration}: odd output");
            }
        }
        Assert.IsTrue(written > 100 && rejected > 100, $"the mutations should exercise both outcomes: {written} written, {rejected} rejected");
        Assert.IsLessThan(60.0, watch.Elapsed.TotalSeconds, "800 mutated tunes should take well under a minute");
    }

    [TestMethod]
    public void InvalidUtf8AndEmptyFilesAreRejectedWithTheirReason()
    {
        using var dir = TestPaths.NewTempDir();
        var converter = new AbcToInterleavedConverter();
        var bad = Path.Combine(dir.Path, "bad.abc");
        File.WriteAllBytes(bad, [(byte)'V', (byte)':', (byte)'1', 10, 0xff, 0xfe, 10]);
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => converter.Convert(bad, new ConverterOptions()));
        StringAssert.Contains(e.Message, "'utf-8' codec can't decode");
        var empty = Path.Combine(dir.Path, "empty.abc");
        File.WriteAllBytes(empty, []);
        Assert.ThrowsExactly<ConversionRejectedException>(() => converter.Convert(empty, new ConverterOptions()));
    }

    [TestMethod]
    public void AByteOrderMarkIsKeptAsText()
    {
        // Python's 'utf-8' codec keeps U+FEFF; on the first (header) line it passes through to the output.
        var abc = "\uFEFFL:1/8\nK:C\nV:1\nA4 |\n";
        Assert.AreEqual("\uFEFFL:1/8\nK:C\n[V:1]A4|\n", AbcInterleaver.Run(abc).Text);
    }
}
