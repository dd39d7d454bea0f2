using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Tests.Mert;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Cuda;

/// <summary>Inference on CUDA against the official fixtures: every clamp3-tiny case (global and sequence features)
/// and mert-tiny (hidden states with both convolution algorithms, the window feature). Skipped without CUDA.</summary>
[TestClass]
[TestCategory("cuda")]
public sealed class CudaInferenceTests
{
    [TestMethod]
    [CudaAvailable]
    [DataRow(FeatureKind.Global, "global")]
    [DataRow(FeatureKind.Sequence, "seq")]
    public void EmbeddingsMatchEveryClamp3TinyCaseOnCuda(FeatureKind kind, string file)
    {
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint)
        {
            ConfigPath = Clamp3Fixture.Config, TokenizerPath = Clamp3Fixture.Tokenizer, BatchSize = 5, Device = "cuda",
        });
        Assert.AreEqual(TorchSharp.DeviceType.CUDA, ((TorchClamp3Engine)embedder.Engine).Device.type);
        var cases = Clamp3Fixture.Cases;
        var outputs = embedder.Embed(cases.Select(c => Clamp3ParityTests.Prepare(embedder, c)).ToList(), kind);
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < cases.Count; i++)
            comparison.Add(cases[i].ToString(), Clamp3Fixture.Expected(cases[i], file).ToFloat32(), outputs[i].Values);
        comparison.AssertAll($"{file} of {cases.Count} cases on CUDA");
    }

    [TestMethod]
    [CudaAvailable]
    [DataRow("window")]
    [DataRow("window_short")]
    public void MertGemmAndConv1dMatchTheOfficialHiddenStatesOnCuda(string window) =>
        MertConvAlgorithmTests.CompareAlgorithms(window, TorchSharp.torch.CUDA);

    [TestMethod]
    [CudaAvailable]
    [DataRow("window")]
    [DataRow("window_short")]
    public void MertWindowFeatureMatchesOnCuda(string window)
    {
        var model = MertPretrained.Load(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(MertFixture.Dir, "pytorch_model.bin"), "cuda");
        using var extractor = new MertExtractor(new TorchMertEngine(model, "cuda"));
        var (input, _) = MertFixture.Npy($"{window}.input.npy");
        var features = extractor.ExtractFromWindows(new[] { new ArraySegment<float>(input) });
        var (e, es) = MertFixture.Npy($"{window}.mert.npy");
        MertFixture.AssertClose($"{window}.mert on CUDA", e, es, features.Values, new long[] { 1, features.Rows, features.Columns }, MertFixture.Tolerance("window_mert"));
    }
}
