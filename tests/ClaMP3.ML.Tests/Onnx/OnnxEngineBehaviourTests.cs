using ClaMP3.Cli;
using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary>Engine behaviour beyond the numbers: clear errors for CUDA without the GPU package and for bad batches,
/// the <c>auto</c> precision choice.</summary>
[TestClass]
public sealed class OnnxEngineBehaviourTests
{
    private static TestPaths.TempDir? _temp;

    [ClassInitialize]
    public static void Export(TestContext _)
    {
        _temp = TestPaths.NewTempDir();
        Clamp3OnnxExporter.Export(Clamp3Fixture.Checkpoint, _temp.Path, Clamp3Fixture.Config);
    }

    [ClassCleanup]
    public static void Cleanup() => _temp?.Dispose();

    private static EncoderBatch TextBatch(int rows, int width)
    {
        var ids = new long[rows * width];
        for (int i = 0; i < ids.Length; i++) ids[i] = 4 + i % 900;
        var mask = Enumerable.Repeat(1f, rows * width).ToArray();
        return new EncoderBatch(ClaMP3.ML.Modality.Text, rows, width, ids, null, mask);
    }

    [TestMethod]
    public void BadBatchesAreRefusedBeforeOrtSeesThem()
    {
        using var engine = new OnnxClamp3Engine(_temp!.Path, threads: 1);
        var tooLong = TextBatch(1, engine.Config.MaxTextLength + 1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => engine.Run(tooLong, true)).Message, "Text batch must be");
        var badId = TextBatch(1, 4);
        badId.Ids![2] = engine.Config.Text.VocabSize;
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => engine.Run(badId, true)).Message, "outside");
        var patches = new long[2 * engine.Config.PatchSize];
        patches[5] = 128;
        var badPatch = new EncoderBatch(ClaMP3.ML.Modality.Symbolic, 1, 2, patches, null, new[] { 1f, 1f });
        StringAssert.Contains(Assert.Throws<ArgumentOutOfRangeException>(() => engine.Run(badPatch, true)).Message, "0..127");
    }

    [TestMethod]
    public void CudaWithoutTheGpuPackageIsOneClearError()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = Clamp3Cli.Run(["embed", Path.Combine(Clamp3Fixture.Dir, "inputs", "text"), Path.Combine(_temp!.Path, "out"),
            "--global", "--device", "cuda", "--batch-size", "4", "--onnx", _temp.Path], o, e);
        Assert.AreEqual(2, code, e.ToString());
        StringAssert.Contains(e.ToString(), "Microsoft.ML.OnnxRuntime.Gpu");
        Assert.AreEqual(1, e.ToString().Trim().Split('\n').Length, e.ToString());
    }

    [TestMethod]
    public void AutoPrecisionFollowsTheCpu()
    {
        Assert.AreEqual(OnnxPrecision.Float32, CpuFeatures.ResolveOnnxPrecision("fp32"));
        Assert.AreEqual(OnnxPrecision.Int8, CpuFeatures.ResolveOnnxPrecision("int8"));
        Assert.AreEqual(CpuFeatures.HasNativeInt8Dot ? OnnxPrecision.Int8 : OnnxPrecision.Float32, CpuFeatures.ResolveOnnxPrecision("auto"));
        Assert.ThrowsExactly<ArgumentException>(() => CpuFeatures.ResolveOnnxPrecision("fp16"));
        Console.WriteLine($"CPU: {CpuFeatures.Summary()}; auto → {CpuFeatures.ResolveOnnxPrecision("auto")}");
    }
}
