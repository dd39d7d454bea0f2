using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Midi;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>Bounded fuzzing: random byte mutations of the fixture MIDI files and random line mutations of the fixture
/// MTF files. Every input must either convert or be rejected with <see cref="ConversionRejectedException"/> and a
/// non-empty reason; no other exception, no hang. (Outcomes and reasons were also compared with mido 1.3.0 itself on
/// 5,000 mutated MIDI and 1,500 mutated MTF files while developing; see the report.)</summary>
[TestClass]
public class MidiFuzzTests
{
    private static List<byte[]> FixtureMidis() =>
        Directory.EnumerateFiles(TestPaths.Fixture("preprocess", "mtf", "input"), "*.mid").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();

    [TestMethod]
    public void MutatedMidiIsConvertedOrRejectedCleanly()
    {
        var random = new Random(20250213);
        var sources = FixtureMidis();
        int converted = 0, rejected = 0;
        for (int iteration = 0; iteration < 600; iteration++)
        {
            byte[] b = Mutate(random, sources[random.Next(sources.Count)]);
            foreach (bool m3 in new[] { true, false })
            {
                try
                {
                    string mtf = MidiToMtf.Convert(b, m3);
                    converted++;
                    Assert.IsTrue(mtf.StartsWith("ticks_per_beat ", StringComparison.Ordinal));
                    try { MtfToMidi.Convert(mtf); }
                    catch (ConversionRejectedException e) { Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message)); }
                }
                catch (ConversionRejectedException e)
                {
                    rejected++;
                    Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message), $"iteration {iteration}: empty reason");
                }
            }
        }
        Assert.IsTrue(converted > 50 && rejected > 50, $"the mutations exercise both outcomes ({converted} converted, {rejected} rejected)");
    }

    private static byte[] Mutate(Random random, byte[] source)
    {
        var b = new List<byte>(source);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && b.Count > 16; e++)
        {
            int p = random.Next(b.Count);
            switch (random.Next(6))
            {
                case 0: b[p] = b[p] < 0x80 ? (byte)random.Next(0x80) : (byte)random.Next(256); break;
                case 1: b[p] ^= (byte)(1 << random.Next(8)); break;
                case 2: b.RemoveRange(Math.Max(14, p), Math.Min(random.Next(1, 4), b.Count - Math.Max(14, p))); break;
                case 3: b.InsertRange(Math.Max(14, p), Enumerable.Range(0, random.Next(1, 4)).Select(_ => (byte)random.Next(256))); break;
                case 4: b.RemoveRange(p, b.Count - p); break;
                default:
                {
                    int meta = b.FindIndex(random.Next(b.Count), x => x == 0xff);
                    if (meta >= 0 && meta + 3 < b.Count) b[meta + 1 + random.Next(3)] = (byte)random.Next(256);
                    break;
                }
            }
        }
        return b.ToArray();
    }

    [TestMethod]
    public void MutatedMtfIsConvertedOrRejectedCleanly()
    {
        var random = new Random(7);
        var sources = Directory.EnumerateFiles(TestPaths.Fixture("preprocess", "mtf_full", "expected"), "*.mtf")
            .Concat(Directory.EnumerateFiles(TestPaths.Fixture("preprocess", "mtf", "expected"), "*.mtf"))
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        string[] samples =
        [
            "sysex 0 [1, 2, 3]", "sysex 0 []", "sequencer_specific (5,) 0", "smpte_offset 29.97 1 2 3 4 5 0", "smpte_offset 30 40 2 3 4 5 0",
            "time_signature 4 536870912 24 8 0", "key_signature H 0", "text \\x4 0", "text \\u0100 0", "note_on -5 0 60 64", "end_of_track -5",
            "note_on inf 0 60 64", "clock 0", "note_on 0 0 [1] 64", "sysex 0 abc", "sequencer_specific abc 0", "track_name \\N{BULLET} 0", "",
        ];
        string[] tokens = ["0", "-1", "127", "128", "3.5", "x", "", "1e400", "99999999999999999999", "(", "]"];
        int converted = 0, rejected = 0;
        for (int iteration = 0; iteration < 400; iteration++)
        {
            var lines = sources[random.Next(sources.Count)].Split('\n').ToList();
            for (int e = random.Next(1, 4); e > 0; e--)
            {
                int p = random.Next(1, lines.Count);
                switch (random.Next(4))
                {
                    case 0: lines.Insert(p, samples[random.Next(samples.Length)]); break;
                    case 1:
                    {
                        var t = lines[p].Split(' ');
                        t[random.Next(t.Length)] = tokens[random.Next(tokens.Length)];
                        lines[p] = string.Join(' ', t);
                        break;
                    }
                    case 2: lines.RemoveAt(p); break;
                    default: lines[p] += " 0"; break;
                }
            }
            try
            {
                MtfToMidi.Convert(string.Join('\n', lines));
                converted++;
            }
            catch (ConversionRejectedException ex)
            {
                rejected++;
                Assert.IsFalse(string.IsNullOrWhiteSpace(ex.Message), $"iteration {iteration}: empty reason");
            }
        }
        Assert.IsTrue(converted > 20 && rejected > 20, $"the mutations exercise both outcomes ({converted} converted, {rejected} rejected)");
    }
}
