using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tokenization;
using TorchSharp;

namespace ClaMP3.ML.Tests.Model;

[TestClass]
public class Clamp3EmbedderBehaviourTests
{
    private static Clamp3Embedder Load(Clamp3Precision precision = Clamp3Precision.Float32) =>
        Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint)
        {
            ConfigPath = Clamp3Fixture.Config, TokenizerPath = Clamp3Fixture.Tokenizer, BatchSize = 3, Precision = precision,
        });

    [TestMethod]
    public void RepeatedEmbeddingLeavesNoLiveTensorsBehind()
    {
        using var embedder = Load();
        var inputs = Clamp3Fixture.Cases.Where((c, i) => i % 4 == 0).Select(c => Clamp3ParityTests.Prepare(embedder, c)).ToList();
        embedder.Embed(inputs, FeatureKind.Sequence);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var probe = TorchSharp.torch.zeros(1))
            Assert.AreEqual(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "the statistics see tensors made outside scopes");
        for (int i = 0; i < 3; i++)
        {
            embedder.Embed(inputs, FeatureKind.Sequence);
            embedder.Embed(inputs, FeatureKind.Global);
        }
        Assert.AreEqual(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "live tensors after 6 more embedding calls");
    }

    [TestMethod]
    public void ConcurrentCallersGetTheSameNumbersAsSequentialOnes()
    {
        using var embedder = Load();
        var texts = Clamp3Fixture.Cases.Where(c => c.Modality == "text").Select(c => File.ReadAllText(Clamp3Fixture.PathOf(c.Input))).ToList();
        var sequential = embedder.EmbedTexts(texts);
        var parallel = new FeatureMatrix[texts.Count];
        Parallel.For(0, texts.Count, i => parallel[i] = embedder.EmbedText(texts[i]));
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < texts.Count; i++) comparison.Add($"text {i}", sequential[i].Values, parallel[i].Values, 1e-5, 0);
        comparison.AssertAll("concurrent vs sequential");
    }

    [TestMethod]
    public void DisposedEmbedderRefusesWork()
    {
        var embedder = Load();
        embedder.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => embedder.EmbedText("a"));
    }

    [TestMethod]
    public void TextWithoutATokenizerAsksForOne()
    {
        using var dir = TestPaths.NewTempDir();
        var config = Path.Combine(dir.Path, "config.json");
        File.WriteAllText(config, File.ReadAllText(Clamp3Fixture.Config).Replace("\"tokenizer_model\": \"../tokenizer/spm.model\"", "\"tokenizer_model\": \"missing.model\""));
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = config });
        Assert.IsFalse(embedder.HasTokenizer);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => embedder.EmbedText("a")).Message, "TokenizerPath");
        // Scores and audio need no tokenizer.
        Assert.AreEqual(24, embedder.EmbedScore("X:1\nK:G\nAB|cd|\n").Columns);
    }

    [TestMethod]
    public void TokenizerFromTheConfigIsUsedWhenNoneIsGiven()
    {
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = Clamp3Fixture.Config });
        var c = Clamp3Fixture.Cases.First(x => x.Name == "one_line");
        var comparison = new Clamp3Fixture.Comparison();
        comparison.Add(c.ToString(), Clamp3Fixture.Expected(c, "global").ToFloat32(), embedder.EmbedText(SourceText.ReadFile(Clamp3Fixture.PathOf(c.Input))).Values);
        comparison.AssertAll("tokenizer from config");
    }

    [TestMethod]
    public void TruncatedCheckpointIsReportedWithItsPath()
    {
        using var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir.Path, "truncated.pth");
        var bytes = File.ReadAllBytes(Clamp3Fixture.Checkpoint);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = Assert.Throws<Exception>(() => Clamp3ModelLoader.Load(path, Clamp3Fixture.Config));
        Assert.IsInstanceOfType<InvalidDataException>(e);
        StringAssert.Contains(e.Message, path);
    }

    /// <summary>bfloat16 is an opt-in speed option, not parity: it must stay close to the float32 features.</summary>
    [TestMethod]
    public void BFloat16StaysCloseToFloat32()
    {
        using var embedder = Load(Clamp3Precision.BFloat16);
        var cases = Clamp3Fixture.Cases;
        var outputs = embedder.Embed(cases.Select(c => Clamp3ParityTests.Prepare(embedder, c)).ToList(), FeatureKind.Global);
        double worstCosine = 1, worstAbs = 0;
        string worstCase = "-";
        for (int i = 0; i < cases.Count; i++)
        {
            var expected = Clamp3Fixture.Expected(cases[i], "global").ToFloat32();
            var actual = outputs[i].Values;
            double dot = 0, ee = 0, aa = 0;
            for (int j = 0; j < expected.Length; j++)
            {
                dot += expected[j] * actual[j]; ee += expected[j] * expected[j]; aa += actual[j] * actual[j];
                worstAbs = Math.Max(worstAbs, Math.Abs(expected[j] - actual[j]));
            }
            double cosine = dot / Math.Sqrt(ee * aa);
            if (cosine < worstCosine) { worstCosine = cosine; worstCase = cases[i].ToString(); }
        }
        Console.WriteLine($"bf16 vs official fp32 global: worst cosine {worstCosine:F5} ({worstCase}), worst |diff| {worstAbs:E2}");
        Assert.IsTrue(worstCosine > 0.99, $"worst cosine {worstCosine} at {worstCase}");
    }

    /// <summary>Dropout acts only in train mode and only with a configured rate (the fixtures' training setup has none).</summary>
    [TestMethod]
    public void DropoutActsOnlyInTrainModeWithAConfiguredRate()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var baseConfig = ClaMP3.ML.Modeling.Clamp3Config.Load(Clamp3Fixture.Config);
        var audio = baseConfig.Audio with { HiddenDropoutProb = 0.3, AttentionProbsDropoutProb = 0.3 };
        using var model = new ClaMP3.ML.Modeling.Clamp3Model(baseConfig with { Audio = audio });
        var x = TorchSharp.torch.randn(2, 5, 32);
        var mask = TorchSharp.torch.ones(2, 5);
        using var noGrad = TorchSharp.torch.no_grad();
        model.eval();
        var eval1 = model.GetAudioFeatures(x, mask, false);
        var eval2 = model.GetAudioFeatures(x, mask, false);
        Assert.AreEqual(0f, eval1.Minus(eval2).abs().max().item<float>(), "eval is deterministic");
        model.train();
        var train = model.GetAudioFeatures(x, mask, false);
        Assert.IsTrue(train.Minus(eval1).abs().max().item<float>() > 1e-3, "train mode with p=0.3 drops units");
        // Text has no dropout configured: train mode computes exactly the eval numbers.
        var ids = TorchSharp.torch.tensor(new long[] { 0, 5, 6, 2 }).unsqueeze(0);
        var textTrain = model.GetTextFeatures(ids, TorchSharp.torch.ones(1, 4), true);
        model.eval();
        Assert.AreEqual(0f, textTrain.Minus(model.GetTextFeatures(ids, TorchSharp.torch.ones(1, 4), true)).abs().max().item<float>());
    }
}
