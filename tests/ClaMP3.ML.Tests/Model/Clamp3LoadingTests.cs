using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using TorchSharp;

namespace ClaMP3.ML.Tests.Model;

[TestClass]
public class Clamp3LoadingTests
{
    [TestMethod]
    public void SiblingConfigNamingTheCheckpointIsUsedWithoutAConfigOption()
    {
        using var model = Clamp3ModelLoader.Load(Clamp3Fixture.Checkpoint).Model;
        Assert.AreEqual(2, model.Config.Text.NumAttentionHeads);
        Assert.AreEqual(Clamp3ModelLoader.FindSiblingConfig(Clamp3Fixture.Checkpoint), Path.GetFullPath(Clamp3Fixture.Config));
    }

    [TestMethod]
    public void ModuleNamesFollowTheCheckpointsKeyOrder()
    {
        var stateDict = CheckpointReader.Read(Clamp3Fixture.Checkpoint);
        var loaded = Clamp3ModelLoader.Load(Clamp3Fixture.Checkpoint, Clamp3Fixture.Config);
        using var model = loaded.Model;
        CollectionAssert.AreEqual(stateDict.Keys.ToList(), model.named_parameters().Select(p => p.name).ToList());
        Assert.AreEqual(3L, Convert.ToInt64(loaded.CheckpointMetadata["epoch"]));
        // Loaded by name: every tensor equals the file's.
        foreach (var (name, parameter) in model.named_parameters())
            CollectionAssert.AreEqual(stateDict[name].ToFloat32(), parameter.data<float>().ToArray(), name);
    }

    [TestMethod]
    public void WithoutAnyConfigTheTinyHeadsCannotBeInferredAndTheErrorSaysSo()
    {
        using var dir = TestPaths.NewTempDir();
        var copy = Path.Combine(dir.Path, "clamp3_tiny.pth");
        File.Copy(Clamp3Fixture.Checkpoint, copy);
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3ModelLoader.Load(copy));
        StringAssert.Contains(e.Message, "num_attention_heads");
    }

    [TestMethod]
    public void WrongConfigIsReportedWithTensorAndField()
    {
        using var dir = TestPaths.NewTempDir();
        var config = Path.Combine(dir.Path, "config.json");
        File.WriteAllText(config, File.ReadAllText(Clamp3Fixture.Config).Replace("\"clamp3_hidden_size\": 24", "\"clamp3_hidden_size\": 16"));
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3ModelLoader.Load(Clamp3Fixture.Checkpoint, config));
        StringAssert.Contains(e.Message, "text_proj.weight");
        StringAssert.Contains(e.Message, "clamp3_hidden_size");
    }

    [TestMethod]
    public void MertCheckpointIsNotAClamp3Checkpoint()
    {
        var mert = TestPaths.Fixture("mert-tiny", "pytorch_model.bin");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Clamp3ModelLoader.Load(mert));
        StringAssert.StartsWith(e.Message, "not a CLaMP 3 checkpoint");
        StringAssert.Contains(e.Message, mert);
        StringAssert.Contains(e.Message, "MERT");
    }

    [TestMethod]
    public void MissingCheckpointNamesThePath()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => Clamp3ModelLoader.Load("/nonexistent/clamp3.pth"));
        StringAssert.Contains(e.Message, "/nonexistent/clamp3.pth");
    }

    [TestMethod]
    public void UnknownOrUnavailableDevicesAreRejected()
    {
        Assert.AreEqual(DeviceType.CPU, Clamp3ModelLoader.ParseDevice("cpu").type);
        Assert.ThrowsExactly<ArgumentException>(() => Clamp3ModelLoader.ParseDevice("tpu:0"));
        if (!TorchSharp.torch.cuda.is_available())
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Clamp3ModelLoader.ParseDevice("cuda")).Message, "CUDA");
    }
}
