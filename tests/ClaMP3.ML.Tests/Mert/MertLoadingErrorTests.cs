using System.Text.Json.Nodes;
using ClaMP3.ML.Modeling.Mert;

namespace ClaMP3.ML.Tests.Mert;

[TestClass]
public class MertLoadingErrorTests
{
    [TestMethod]
    public void FolderWithoutConfigNamesTheFolder()
    {
        using var tmp = TestPaths.NewTempDir();
        File.Copy(Path.Combine(MertFixture.Dir, "model.safetensors"), Path.Combine(tmp.Path, "model.safetensors"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => MertPretrained.Load(tmp.Path));
        StringAssert.Contains(e.Message, "config.json");
        StringAssert.Contains(e.Message, tmp.Path);
    }

    [TestMethod]
    public void FolderWithoutWeightsSaysWhichFilesItNeeds()
    {
        using var tmp = TestPaths.NewTempDir();
        File.Copy(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(tmp.Path, "config.json"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => MertPretrained.Load(tmp.Path));
        StringAssert.Contains(e.Message, "pytorch_model.bin");
        StringAssert.Contains(e.Message, "model.safetensors");
    }

    [TestMethod]
    public void MissingFolder() =>
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => MertPretrained.Load(Path.Combine(Path.GetTempPath(), "no-such-mert-" + Guid.NewGuid())));

    [TestMethod]
    public void Clamp3FolderIsNotAMertModel()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MertPretrained.Load(TestPaths.Fixture("clamp3-tiny")));
        StringAssert.Contains(e.Message, "not a MERT");
    }

    [TestMethod]
    public void Clamp3CheckpointUnderAMertConfigIsNamedAsSuch()
    {
        using var tmp = TestPaths.NewTempDir();
        File.Copy(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(tmp.Path, "config.json"));
        File.Copy(TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth"), Path.Combine(tmp.Path, "pytorch_model.bin"));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MertPretrained.Load(tmp.Path));
        StringAssert.Contains(e.Message, "CLaMP 3 checkpoint");
    }

    [TestMethod]
    public void CqtFeatureExtractorIsRejectedClearly()
    {
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(MertFixture.Dir, "config.json")))!;
        json["feature_extractor_cqt"] = true;
        var e = Assert.ThrowsExactly<NotSupportedException>(() => MertConfig.FromJson(json));
        StringAssert.Contains(e.Message, "feature_extractor_cqt");
    }

    [TestMethod]
    public void BadConfigValuesNameTheField()
    {
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(MertFixture.Dir, "config.json")))!;
        json["conv_kernel"] = new JsonArray(10, 3);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MertConfig.FromJson(json));
        StringAssert.Contains(e.Message, "conv_kernel");
        json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(MertFixture.Dir, "config.json")))!;
        json["hidden_size"] = "big";
        e = Assert.ThrowsExactly<InvalidDataException>(() => MertConfig.FromJson(json));
        StringAssert.Contains(e.Message, "hidden_size");
    }

    [TestMethod]
    public void ConfigReadsTheFixtureValues()
    {
        var c = MertConfig.Load(Path.Combine(MertFixture.Dir, "config.json"));
        Assert.AreEqual(32, c.HiddenSize);
        CollectionAssert.AreEqual(new[] { 16, 16, 16, 16, 16, 16, 16 }, c.ConvDim);
        CollectionAssert.AreEqual(new[] { 5, 2, 2, 2, 2, 2, 2 }, c.ConvStride);
        Assert.AreEqual("group", c.FeatExtractNorm);
        Assert.AreEqual(374, c.FramesFor(120000));
        Assert.AreEqual(12, c.FramesFor(4000));
        Assert.AreEqual(74, new MertConfig().FramesFor(24000), "README: a 1 s window gives 74 frames");
    }
}
