using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = ClaMP3.ML.Tests.Training.TrainStepFixture;

namespace ClaMP3.ML.Tests.Training;

/// <summary>One training step against clamp3-tiny/train (README: semantics and tolerances).</summary>
[TestClass]
public sealed class TrainStepParityTests
{
    [ClassInitialize]
    public static void Init(TestContext _) => torch.set_num_threads(1);

    [TestMethod]
    [DataRow("text_symbolic")]
    [DataRow("text_audio")]
    public void FeaturesLogitsLossAndFeatureGradientsMatch(string batchName)
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        using var batch = F.LoadBatch(batchName);
        var objective = new ContrastiveObjective(model);
        var (t, m) = objective.Features(batch);
        var tLeaf = t.detach().requires_grad_(true);
        var mLeaf = m.detach().requires_grad_(true);
        var (loss, tm, mt) = objective.Loss(tLeaf, mLeaf);
        loss.backward();

        var c = new F.Comparison();
        c.Add("text_features", F.Floats(batchName, "text_features.npy"), F.ToArray(t), 1e-4, 1e-4);
        c.Add("music_features", F.Floats(batchName, "music_features.npy"), F.ToArray(m), 1e-4, 1e-4);
        c.Add("logits_text_music", F.Floats(batchName, "logits_text_music.npy"), F.ToArray(tm), 1e-4, 1e-4);
        c.Add("logits_music_text", F.Floats(batchName, "logits_music_text.npy"), F.ToArray(mt), 1e-4, 1e-4);
        c.Add("loss", F.Floats(batchName, "loss.npy"), new[] { loss.item<float>() }, 1e-4, 1e-4);
        c.Add("text_features_grad", F.Floats(batchName, "text_features_grad.npy"), F.ToArray(tLeaf.grad!), 1e-5, 1e-4);
        c.Add("music_features_grad", F.Floats(batchName, "music_features_grad.npy"), F.ToArray(mLeaf.grad!), 1e-5, 1e-4);
        c.AssertPassed(batchName);
    }

    [TestMethod]
    [DataRow("text_symbolic", "Symbolic")]
    [DataRow("text_audio", "Audio")]
    [DataRow("gradcache", "Audio")]
    public void EveryParameterGradientMatchesWithOfficialFreezing(string batchName, string modality)
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        using var batch = F.LoadBatch(batchName);
        var trainable = Clamp3Freezing.SetTrainable(model, Enum.Parse<Modality>(modality), freezeText: false);
        var objective = new ContrastiveObjective(model);
        float loss = objective.Backward(batch);
        var c = CompareGradients(batchName, trainable);
        c.Add("loss", F.Floats(batchName, "loss.npy"), new[] { loss }, 1e-4, 1e-4);
        c.AssertPassed($"{batchName} gradients");
    }

    /// <summary>The gradient cache (sub-batches of split.npy) reproduces the full-batch gradients of the 8-pair batch.</summary>
    [TestMethod]
    public void GradientCacheReproducesFullBatchGradients()
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        using var batch = F.LoadBatch("gradcache");
        var split = ClaMP3.ML.IO.NpyFile.Read(Path.Combine(F.Dir("gradcache"), "split.npy"));
        var rows = split.ToInt64().Chunk((int)split.Shape[1]).ToArray();
        Assert.AreEqual(4, rows.Length);
        var trainable = Clamp3Freezing.SetTrainable(model, Modality.Audio, freezeText: false);
        var objective = new ContrastiveObjective(model);
        float loss = objective.BackwardCached(batch, rows);
        var c = CompareGradients("gradcache", trainable);
        c.Add("loss", F.Floats("gradcache", "loss.npy"), new[] { loss }, 1e-4, 1e-4);
        c.AssertPassed("gradcache (sub-batches of 2) vs full-batch gradients");

        // The size-based split takes the same path.
        new Clamp3AdamW(trainable).ZeroGrad();
        float loss2 = objective.Backward(batch, subBatchSize: 3);
        var c2 = CompareGradients("gradcache", trainable);
        c2.Add("loss", F.Floats("gradcache", "loss.npy"), new[] { loss2 }, 1e-4, 1e-4);
        c2.AssertPassed("gradcache (sub-batches of 3) vs full-batch gradients");
    }

    internal static F.Comparison CompareGradients(string batchName, IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> trainable)
    {
        var expected = F.Safetensor(batchName, "grads.safetensors");
        var c = new F.Comparison();
        int withGrad = 0;
        foreach (var (name, p) in trainable)
        {
            using var s = NewDisposeScope();
            var g = p.grad;
            if (!expected.TryGetValue(name, out var e))
            {
                if (g is not null) c.Fail($"{name}: has a gradient, the official one is None (not in the graph)");
                continue;
            }
            if (g is null) { c.Fail($"{name}: no gradient, expected one"); continue; }
            withGrad++;
            var actual = F.ToArray(g);
            if (F.IsKeyBias(name))
                c.Add(name + " (key.bias, exact value 0)", new float[actual.Length], actual, 1e-5, 0);
            else
                c.Add(name, e.ToFloat32(), actual, 1e-5, 1e-3);
        }
        if (withGrad != expected.Count) c.Fail($"{withGrad} trainable tensors have a gradient, the fixture has {expected.Count}");
        return c;
    }
}
