using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tests.Training;
using ClaMP3.ML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = ClaMP3.ML.Tests.Training.TrainStepFixture;

namespace ClaMP3.ML.Tests.Cuda;

/// <summary>Training on CUDA: one step's parameter gradients against clamp3-tiny/train (plain and gradient cache),
/// and the same AdamW steps on CPU and CUDA giving the same losses. Skipped without CUDA.</summary>
[TestClass]
[TestCategory("cuda")]
public sealed class CudaTrainingTests
{
    [TestMethod]
    [CudaAvailable]
    [DataRow("text_symbolic", "Symbolic", false)]
    [DataRow("text_audio", "Audio", false)]
    [DataRow("gradcache", "Audio", true)]
    public void EveryParameterGradientMatchesOnCuda(string batchName, string modality, bool cached)
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        model.to(CUDA);
        using var cpuBatch = F.LoadBatch(batchName);
        using var batch = cpuBatch.To(CUDA);
        var trainable = Clamp3Freezing.SetTrainable(model, Enum.Parse<Modality>(modality), freezeText: false);
        var objective = new ContrastiveObjective(model);
        float loss = cached ? objective.Backward(batch, subBatchSize: 2) : objective.Backward(batch);
        var c = TrainStepParityTests.CompareGradients(batchName, trainable);
        c.Add("loss", F.Floats(batchName, "loss.npy"), new[] { loss }, 1e-4, 1e-4);
        c.AssertPassed($"{batchName} gradients on CUDA{(cached ? " (gradient cache, sub-batches of 2)" : "")}");
    }

    [TestMethod]
    [CudaAvailable]
    [DataRow("text_symbolic", "Symbolic")]
    [DataRow("text_audio", "Audio")]
    public void CpuAndCudaLossesAgreeOverEightSteps(string batchName, string modality)
    {
        var cpu = Losses(CPU, batchName, Enum.Parse<Modality>(modality));
        var cuda = Losses(CUDA, batchName, Enum.Parse<Modality>(modality));
        Console.WriteLine($"{batchName}: CPU losses {string.Join(", ", cpu.Select(l => l.ToString("F6")))}");
        Console.WriteLine($"{batchName}: CUDA losses {string.Join(", ", cuda.Select(l => l.ToString("F6")))}");
        var c = new F.Comparison();
        c.Add("losses CUDA vs CPU", cpu, cuda, 1e-4, 1e-4);
        // The first three steps and the evaluation after them are in the fixture (lr 1e-3).
        c.Add("CUDA losses vs official", F.Floats(batchName, "losses_lr1e-3.npy"), cuda.Take(3).Append(cuda[^1]).ToArray(), 1e-4, 1e-4);
        c.AssertPassed($"{batchName}: 8 AdamW steps at lr 1e-3");
        Assert.IsTrue(cuda[7] < cuda[0], "the loss goes down");
    }

    /// <summary>Losses of 8 AdamW steps (lr 1e-3) on one batch; the last entry is the loss evaluated after 3 steps.</summary>
    private static float[] Losses(Device device, string batchName, Modality modality)
    {
        using var scope = NewDisposeScope();
        using var model = F.LoadModel();
        model.to(device);
        using var cpuBatch = F.LoadBatch(batchName);
        using var batch = cpuBatch.To(device);
        var trainable = Clamp3Freezing.SetTrainable(model, modality, freezeText: false);
        using var opt = new Clamp3AdamW(trainable, learningRate: 1e-3);
        var objective = new ContrastiveObjective(model);
        var losses = new List<float>();
        float afterThree = float.NaN;
        for (int step = 1; step <= 8; step++)
        {
            losses.Add(objective.Backward(batch));
            opt.Step();
            opt.ZeroGrad();
            if (step == 3) afterThree = objective.EvaluateLoss(batch);
        }
        losses.Add(afterThree);
        return losses.ToArray();
    }
}
