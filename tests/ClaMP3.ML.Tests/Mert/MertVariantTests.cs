using ClaMP3.ML.Modeling;
using ClaMP3.ML.Modeling.Mert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Mert;

/// <summary>Configurations mert-tiny does not cover (layer-norm feature encoder, conv bias, odd kernels), checked
/// against the same maths written with libtorch's own channels-first ops (conv1d, group_norm, layer_norm): the
/// channels-last GEMM convolution and the folded GroupNorm must agree with them.</summary>
[TestClass]
public class MertVariantTests
{
    private static MertConfig Small(string norm, bool convBias) => new()
    {
        HiddenSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
        ConvDim = new[] { 12, 10, 10 }, ConvKernel = new[] { 7, 3, 2 }, ConvStride = new[] { 3, 2, 2 },
        ConvBias = convBias, FeatExtractNorm = norm, NumConvPosEmbeddings = 5, NumConvPosEmbeddingGroups = 3,
    };

    /// <summary>HF's feature encoder, channels-first, with stock ops.</summary>
    private static Tensor Reference(MusicHubertModel model, Tensor samples)
    {
        var h = samples.unsqueeze(1);
        for (int i = 0; i < model.feature_extractor.conv_layers.Count; i++)
        {
            var layer = model.feature_extractor.conv_layers[i];
            h = nn.functional.conv1d(h, layer.conv.weight, layer.conv.bias, stride: layer.conv.Stride);
            if (layer.layer_norm is GroupNorm g)
                h = nn.functional.group_norm(h, h.shape[1], g.weight, g.bias, 1e-5);
            else if (layer.layer_norm is LayerNorm l)
                h = nn.functional.layer_norm(h.transpose(1, 2), new[] { h.shape[1] }, l.weight, l.bias, 1e-5).transpose(1, 2);
            h = nn.functional.gelu(h);
        }
        return h.transpose(1, 2);
    }

    [TestMethod]
    [DataRow("group", false)]
    [DataRow("group", true)]
    [DataRow("layer", false)]
    [DataRow("layer", true)]
    public void FeatureEncoderEqualsStockOps(string norm, bool convBias)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = new MusicHubertModel(Small(norm, convBias));
        model.InitializeRandom(3);
        // Non-trivial norm parameters and biases, so that a lost bias or affine term shows.
        foreach (var (name, p) in model.named_parameters())
            if (name.StartsWith("feature_extractor") && (name.Contains("layer_norm") || name.EndsWith("bias")))
                p.copy_(rand(p.shape, generator: new Generator(11)).Plus(0.5));
            else if (name.StartsWith("feature_extractor") && name.EndsWith("conv.weight"))
                p.copy_(randn(p.shape, generator: new Generator(13)).Times(0.4)); // O(1) activations in every layer
        var samples = randn(new long[] { 3, 1001 }, generator: new Generator(5));
        var expected = Reference(model, samples);
        var actual = model.feature_extractor.call(samples);
        CollectionAssert.AreEqual(expected.shape, actual.shape);
        double worst = actual.Minus(expected).abs().max().item<float>();
        Console.WriteLine($"{norm} norm, conv bias {convBias}: worst |diff| {worst:E2}");
        Assert.IsTrue(worst < 1e-5, $"{norm} norm, conv bias {convBias}: worst |diff| {worst:E2}");
    }

    [TestMethod]
    public void SilentWindowGivesFiniteFeatures()
    {
        // Normalised silence is all zeros: the folded GroupNorm sees zero variance and must give β, like group_norm.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = new MusicHubertModel(Small("group", false));
        model.InitializeRandom(3);
        var zeros = torch.zeros(2, 800);
        var expected = Reference(model, zeros);
        var actual = model.feature_extractor.call(zeros);
        double worst = actual.Minus(expected).abs().max().item<float>();
        Assert.IsTrue(worst < 1e-5, $"silence: worst |diff| {worst:E2}");
        Assert.IsTrue(model.HiddenStateTimeMeans(zeros).isfinite().all().item<bool>());
    }

    [TestMethod]
    public void TooShortWindowIsAClearError()
    {
        using var model = new MusicHubertModel(Small("group", false));
        using var input = torch.zeros(1, 10);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.HiddenStateTimeMeans(input));
        StringAssert.Contains(e.Message, "10 samples");
    }
}
