using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tests.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Model;

/// <summary>The patch embedding (one reused embedding_bag over the transposed weight) against the official one-hot ×
/// Linear, with and without gradients, and after the weight changes in place (as an optimizer step does).</summary>
[TestClass]
public sealed class PatchEmbeddingTests
{
    [TestMethod]
    public void PatchEmbeddingEqualsTheOneHotLinearAndCarriesGradientsOnCpu() => EqualsOneHotAndCarriesGradients(CPU);

    [TestMethod]
    [TestCategory("cuda")]
    [CudaAvailable]
    public void PatchEmbeddingEqualsTheOneHotLinearAndCarriesGradientsOnCuda() => EqualsOneHotAndCarriesGradients(CUDA);

    [TestMethod]
    public void WeightUpdatesAreSeenByTheNextCallOnCpu() => SeesWeightUpdates(CPU);

    [TestMethod]
    [TestCategory("cuda")]
    [CudaAvailable]
    public void WeightUpdatesAreSeenByTheNextCallOnCuda() => SeesWeightUpdates(CUDA);

    /// <summary>Building the reused bag (first call) draws a throw-away weight inside TorchSharp; the global random
    /// stream must not move, or dropout masks would differ between a gradient-cache pass and its replay, or a resume.</summary>
    [TestMethod]
    public void FirstCallLeavesTheGlobalRandomStreamAlone()
    {
        using var scope = NewDisposeScope();
        using var encoder = NewEncoder(CPU, out var config);
        var patches = randint(0, 128, new long[] { 1, 3, config.PatchSize }, dtype: ScalarType.Int64);
        manual_seed(5);
        var expected = rand(8).data<float>().ToArray();
        manual_seed(5);
        using (no_grad()) encoder.EmbedPatches(patches); // first call: builds the bag
        var actual = rand(8).data<float>().ToArray();
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void OutOfRangeIdsAreRejected()
    {
        using var scope = NewDisposeScope();
        using var encoder = NewEncoder(CPU, out var config);
        var patches = zeros(new long[] { 1, 2, config.PatchSize }, dtype: ScalarType.Int64);
        patches[0, 1, 3] = tensor(128L);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => encoder.EmbedPatches(patches));
        StringAssert.Contains(error.Message, "found 128");
    }

    private static M3PatchEncoder NewEncoder(Device device, out Clamp3Config config)
    {
        manual_seed(3);
        config = Clamp3Config.Load(Clamp3Fixture.Config);
        var encoder = new M3PatchEncoder(config.Symbolic, config.PatchSize);
        encoder.to(device);
        return encoder;
    }

    private static Tensor OneHotLinear(M3PatchEncoder encoder, Tensor patches)
    {
        var oneHot = nn.functional.one_hot(patches, Clamp3Config.PatchVocabSize)
            .reshape(patches.shape[0], patches.shape[1], encoder.PatchSize * Clamp3Config.PatchVocabSize).to(ScalarType.Float32);
        return encoder.PatchEmbedding.forward(oneHot);
    }

    private static float[] Floats(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    private static void EqualsOneHotAndCarriesGradients(Device device)
    {
        using var scope = NewDisposeScope();
        using var encoder = NewEncoder(device, out var config);
        var patches = randint(0, 128, new long[] { 3, 7, config.PatchSize }, dtype: ScalarType.Int64).to(device);
        var official = OneHotLinear(encoder, patches).detach();
        Tensor inference;
        using (no_grad()) inference = encoder.EmbedPatches(patches);
        var training = encoder.EmbedPatches(patches);
        var comparison = new Clamp3Fixture.Comparison();
        comparison.Add($"no_grad ({device.type})", Floats(official), Floats(inference), 1e-5, 1e-5);
        comparison.Add($"with grad ({device.type})", Floats(official), Floats(training), 1e-5, 1e-5);
        comparison.AssertAll("patch embedding vs one-hot × Linear");

        Assert.IsTrue(training.requires_grad, "the embedding is differentiable w.r.t. the weight");
        training.sum().backward();
        var grad = encoder.PatchEmbedding.weight!.grad;
        Assert.IsNotNull(grad, "the gradient reaches patch_embedding.weight");
        // d(sum)/dW[:, k] = number of times column k is selected: the one-hot's column counts, exactly.
        var oneHot = nn.functional.one_hot(patches, 128).reshape(3, 7, config.PatchSize * 128).to(ScalarType.Float32);
        var counts = oneHot.sum(new long[] { 0, 1 }).unsqueeze(0).expand_as(grad);
        Assert.AreEqual(0f, grad.Minus(counts).abs().max().item<float>(), "weight gradient = selection counts");
        Assert.AreEqual(3f * 7f, encoder.PatchEmbedding.bias!.grad!.cpu()[0].item<float>(), "bias gradient = number of patches");
    }

    private static void SeesWeightUpdates(Device device)
    {
        using var scope = NewDisposeScope();
        using var encoder = NewEncoder(device, out var config);
        var patches = randint(0, 128, new long[] { 2, 5, config.PatchSize }, dtype: ScalarType.Int64).to(device);
        using var noGrad = no_grad();
        var before = encoder.EmbedPatches(patches);
        // An in-place update of the same parameter tensor, as an optimizer step makes.
        encoder.PatchEmbedding.weight!.PlusInPlace(randn_like(encoder.PatchEmbedding.weight!));
        var after = encoder.EmbedPatches(patches);
        var comparison = new Clamp3Fixture.Comparison();
        comparison.Add($"after update ({device.type})", Floats(OneHotLinear(encoder, patches)), Floats(after), 1e-5, 1e-5);
        comparison.AssertAll("patch embedding after an in-place weight update");
        Assert.IsTrue(after.Minus(before).abs().max().item<float>() > 0.1f, "the update changed the embedding");
    }
}
