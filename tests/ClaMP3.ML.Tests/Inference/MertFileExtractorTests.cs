using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Tests.Mert;

namespace ClaMP3.ML.Tests.Inference;

/// <summary>The <c>clamp3 mert</c> file runner: official features per audio file, a too-short file failing alone, the
/// log lines, existing outputs skipped, and the engine choice of <see cref="MertExtractor.Open"/>.</summary>
[TestClass]
public class MertFileExtractorTests
{
    [TestMethod]
    public void WritesTheOfficialMeanFeaturesLogsEachFileAndSkipsExistingOutputs()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        File.Copy(MertFixture.Input("tune24k_mono16.wav"), Path.Combine(input, "sub", "Tune.WAV"));
        File.Copy(MertFixture.Input("short24k_0p8s.wav"), Path.Combine(input, "short.wav"));
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not audio");

        using var extractor = MertExtractor.Open(MertFixture.Dir, onnxDirectory: null);
        var lines = new List<string>();
        var files = new MertFileExtractor(extractor) { Log = lines.Add, Status = () => "status" };
        var batch = FileBatch.Plan(input, output, MertFileExtractor.BatchOptions());
        CollectionAssert.AreEqual(new[] { "short.wav", Path.Combine("sub", "Tune.WAV") }, batch.Items.Select(i => i.RelativePath).ToArray());
        var report = files.Run(batch);
        Assert.AreEqual(1, report.Done);
        Assert.AreEqual(1, report.Failed);
        var actual = NpyFile.Read(Path.Combine(output, "sub", "Tune.npy"));
        var (expected, shape) = MertFixture.Npy("tune24k_mono16.mert.npy");
        MertFixture.AssertClose("MertFileExtractor", expected, shape, actual.ToFloat32(), actual.Shape, MertFixture.Tolerance("mert"));
        StringAssert.StartsWith(lines[0], "[2/2] " + batch.Items[1].InputPath + " -> ");
        StringAssert.EndsWith(lines[0], "files/s; status)");
        StringAssert.StartsWith(lines[^1], "done: 1 written, 0 skipped (existing), 1 failed; ");

        lines.Clear();
        Assert.AreEqual(1, files.Run(FileBatch.Plan(input, output, MertFileExtractor.BatchOptions())).SkippedExisting);
        Assert.IsTrue(lines.Any(l => l.StartsWith("[2/2] skip ", StringComparison.Ordinal)), string.Join("\n", lines));
    }

    [TestMethod]
    public void OpenNeedsAModelOrAnOnnxFolderAndNamesWhatIsWrong()
    {
        Assert.ThrowsExactly<ArgumentException>(() => MertExtractor.Open(null, null));
        using var tmp = TestPaths.NewTempDir();
        var e = Assert.Throws<Exception>(() => MertExtractor.Open(MertFixture.Dir, onnxDirectory: tmp.Path));
        StringAssert.Contains(e.Message, tmp.Path);
    }

    [TestMethod]
    public void SaveLayersWritesEveryHiddenState()
    {
        using var tmp = TestPaths.NewTempDir();
        using var extractor = MertExtractor.Open(MertFixture.Dir, onnxDirectory: null);
        var batch = FileBatch.Plan(MertFixture.Input("tune24k_mono16.wav"), tmp.Path, MertFileExtractor.BatchOptions());
        Assert.AreEqual(1, new MertFileExtractor(extractor) { SaveLayers = true }.Run(batch).Done);
        var actual = NpyFile.Read(Path.Combine(tmp.Path, "tune24k_mono16.npy"));
        Assert.AreEqual(extractor.Config.NumHiddenStates, (int)actual.Shape[0]);
    }
}
