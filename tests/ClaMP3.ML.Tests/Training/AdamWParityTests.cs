using System.Text.Json;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = ClaMP3.ML.Tests.Training.TrainStepFixture;

namespace ClaMP3.ML.Tests.Training;

/// <summary>Three AdamW steps on one batch against clamp3-tiny/train (lr 1e-3 parameters and losses; 1e-5 schedules' losses).</summary>
[TestClass]
public sealed class AdamWParityTests
{
    [ClassInitialize]
    public static void Init(TestContext _) => torch.set_num_threads(1);

    private static float[] Run(Clamp3Model model, ContrastiveBatch batch, Modality modality, Func<int, double> lrOfStep, out IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> trainable)
    {
        trainable = Clamp3Freezing.SetTrainable(model, modality, freezeText: false);
        using var opt = new Clamp3AdamW(trainable, learningRate: lrOfStep(1));
        var objective = new ContrastiveObjective(model);
        var losses = new List<float>();
        for (int step = 1; step <= 3; step++)
        {
            opt.LearningRate = lrOfStep(step);
            losses.Add(objective.Backward(batch));
            opt.Step();
            opt.ZeroGrad();
        }
        losses.Add(objective.EvaluateLoss(batch));
        return losses.ToArray();
    }

    [TestMethod]
    [DataRow("text_symbolic", "Symbolic")]
    [DataRow("text_audio", "Audio")]
    public void ThreeStepsAtLr1e3MatchParametersAndLosses(string batchName, string modality)
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        using var batch = F.LoadBatch(batchName);
        var losses = Run(model, batch, Enum.Parse<Modality>(modality), _ => 1e-3, out var trainable);

        var c = new F.Comparison();
        c.Add("losses", F.Floats(batchName, "losses_lr1e-3.npy"), losses, 1e-4, 1e-4);
        var expected = F.Safetensor(batchName, "params_lr1e-3_step3.safetensors");
        var grads = F.Safetensor(batchName, "grads.safetensors");
        Assert.AreEqual(expected.Count, trainable.Count, "trainable tensor count");
        var loose = new F.Comparison();
        foreach (var (name, p) in trainable)
        {
            var actual = F.ToArray(p);
            var e = expected[name].ToFloat32();
            if (F.IsKeyBias(name)) { loose.Add(name, e, actual, 6e-3, 0); continue; }
            float[]? g = grads.TryGetValue(name, out var gt) ? gt.ToFloat32() : null;
            bool Small(int i) => g is not null && g[i] != 0 && Math.Abs(g[i]) < 1e-5;
            c.Add(name, e, actual, 1e-5, 0, skip: Small);
            if (g is not null) loose.Add(name + " (small gradient)", e, actual, 6e-3, 0, skip: i => !Small(i));
        }
        c.AssertPassed($"{batchName} lr 1e-3, 3 steps");
        loose.AssertPassed($"{batchName} key.bias and small-gradient elements");
    }

    /// <summary>Both lr 1e-5 variants of train.json: constant 1e-5 (the official scripts as written, our default) and the warm-up
    /// schedule (lr 0, 1e-8, 2e-8 for steps 1-3).</summary>
    [TestMethod]
    [DataRow("text_symbolic", "Symbolic", "official_as_written")]
    [DataRow("text_symbolic", "Symbolic", "official_schedule")]
    [DataRow("text_audio", "Audio", "official_as_written")]
    [DataRow("text_audio", "Audio", "official_schedule")]
    public void LearningRateScheduleLossesMatch(string batchName, string modality, string variant)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "train", "train.json")));
        var expectedLosses = doc.RootElement.GetProperty("batches").GetProperty(batchName).GetProperty(variant)
            .GetProperty("losses_before_steps_1_2_3_and_after_3").EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
        var schedule = variant == "official_as_written" ? LearningRateSchedule.Constant(1e-5) : LearningRateSchedule.ConstantWithWarmup(1e-5, 1000);
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        using var batch = F.LoadBatch(batchName);
        var losses = Run(model, batch, Enum.Parse<Modality>(modality), step => schedule.LearningRate(step), out _);
        var c = new F.Comparison();
        c.Add(variant + " losses", expectedLosses, losses, 1e-4, 1e-4);
        c.AssertPassed($"{batchName} {variant}");
    }
}
