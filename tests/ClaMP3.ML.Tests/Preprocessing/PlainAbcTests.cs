using ClaMP3.ML.Inference;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>Our plain-ABC addition: tunes the official interleaver rejects (no V:1, named voices, voice blocks) are
/// rewritten and converted; tunes it accepts are untouched (see AbcInterleaverParityTests).</summary>
[TestClass]
public class PlainAbcTests
{
    [TestMethod]
    public void SingleVoiceTuneWithoutVoiceLinesGetsV1InTheHeaderAndTheBarPrefixes()
    {
        const string tune = "X:1\nT:Jig\nM:6/8\nL:1/8\nK:G\nGAB cde|dcB A3|\nGAB cde|d3 G3|]\n";
        Assert.StartsWith("tunebody index not found.", AbcInterleaver.Run(tune).RejectionReason!);

        var result = AbcInterleaver.Convert(tune, acceptPlainAbc: true);
        Assert.AreEqual("M:6/8\nL:1/8\nK:G\nV:1\n[V:1]GAB cde|\n[V:1]dcB A3|\n[V:1]GAB cde|\n[V:1]d3 G3|]\n", result.Text);
        Assert.StartsWith(AbcInterleaver.PlainAbcWarningPrefix, result.Warnings[0]);
        StringAssert.Contains(result.Warnings[0], "tunebody index not found.");
    }

    [TestMethod]
    public void NamedVoicesAreNumberedAndTheirBlocksMerged()
    {
        const string tune = "X:1\nM:2/4\nL:1/8\n%%staves {RH LH}\nK:C\nV:RH\nCDEF|GABc|\nV:LH clef=bass\nC,4|G,4|\nV:RH\ncBAG|FEDC|]\nV:LH\nC,4|C,4|]\n";
        var text = AbcInterleaver.Convert(tune, acceptPlainAbc: true).Text;
        Assert.AreEqual("M:2/4\nL:1/8\n%%staves {1 2}\nK:C\nV:1\nV:2 clef=bass\n" +
                        "[V:1]CDEF|[V:2]C,4|\n[V:1]GABc|[V:2]G,4|\n[V:1]cBAG|[V:2]C,4|\n[V:1]FEDC|]|[V:2]C,4|]|\n".Replace("|]|", "|]"), text);
    }

    [TestMethod]
    public void OfficialModeRejectsWithWhatTheTuneLacksAndWhatToDo()
    {
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => AbcInterleaver.Convert("X:1\nK:G\nGABc|dedB|\n", acceptPlainAbc: false));
        Assert.StartsWith("tunebody index not found.", e.Message);
        StringAssert.Contains(e.Message, "no line V:1");
        StringAssert.Contains(e.Message, "--official");

        var notAbc = Assert.ThrowsExactly<ConversionRejectedException>(() => AbcInterleaver.Convert("just some words\n", acceptPlainAbc: true));
        StringAssert.Contains(notAbc.Message, "no K: (key) line");

        var unequal = Assert.ThrowsExactly<ConversionRejectedException>(() =>
            AbcInterleaver.Convert("K:C\nV:1\nV:2\nV:1\nA4|B4|\nV:2\nA4|\n", acceptPlainAbc: false));
        StringAssert.Contains(unequal.Message, "different numbers of bars");
    }

    [TestMethod]
    public void All25RealTunesConvertAndEmbedWithoutANonInterleavedWarning()
    {
        var tunes = Directory.GetFiles(Path.Combine(TestPaths.RealData, "abc"), "*.abc").Order(StringComparer.Ordinal).ToList();
        Assert.HasCount(25, tunes);
        using var tmp = TestPaths.NewTempDir();
        var report = new BatchConverter(new AbcToInterleavedConverter()).Run(Path.Combine(TestPaths.RealData, "abc"), tmp.Path);
        Assert.IsEmpty(report.Failed, string.Join("\n", report.Failed.Select(f => $"{f.InputPath}: {f.Reason}")));
        Assert.HasCount(25, report.Converted);
        int official = tunes.Count(t => !AbcInterleaver.Run(File.ReadAllText(t)).IsRejected);
        Assert.AreEqual(6, official, "tunes the official converter accepts");

        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = Clamp3Fixture.Config });
        var warnings = new List<string>();
        embedder.Warning += warnings.Add;
        var interleaved = tunes.Select(t => File.ReadAllText(Path.Combine(tmp.Path, Path.GetFileName(t)))).ToList();
        foreach (var text in interleaved)
            Assert.IsNull(Clamp3Inputs.DescribeNonInterleavedAbc(text), text[..Math.Min(200, text.Length)]);
        var features = embedder.EmbedScores(interleaved);
        Assert.HasCount(25, features);
        foreach (var f in features)
            Assert.IsTrue(f.Values.ToArray().All(float.IsFinite) && f.Values.ToArray().Any(v => v != 0), "finite, non-zero features");
        Assert.IsEmpty(warnings, string.Join("\n", warnings));
    }

    [TestMethod]
    public void EmbeddingPlainAbcWarnsThatItIsNotInterleaved()
    {
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = Clamp3Fixture.Config });
        var warnings = new List<string>();
        embedder.Warning += warnings.Add;
        embedder.EmbedScore("X:1\nL:1/8\nK:G\nGABc|dedB|\n");
        Assert.HasCount(1, warnings);
        StringAssert.Contains(warnings[0], "not interleaved");
        StringAssert.Contains(warnings[0], "clamp3 convert abc2interleaved");
    }
}
