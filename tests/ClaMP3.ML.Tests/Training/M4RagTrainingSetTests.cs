using ClaMP3.ML.Training;
using TorchSharp;

namespace ClaMP3.ML.Tests.Training;

/// <summary>The pairs of a JSONL run with what was left out, counted from what was read; the lines a user follows while
/// it trains; and the option checks a front end runs first.</summary>
[TestClass]
public sealed class M4RagTrainingSetTests
{
    [ClassInitialize]
    public static void Init(TestContext _) => torch.set_num_threads(1);

    /// <summary>Five symbolic items (one with a missing file), a line that is not JSON and one without files.</summary>
    private static string Jsonl(string dir, string name)
    {
        var lines = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            if (i < 4) File.WriteAllText(Path.Combine(dir, $"t{i}.abc"), $"X:1\nL:1/8\nK:C\n[V:1]CDEF|GABc|{new string('d', i)}\n");
            lines.Add($$"""{"id": "t{{i}}", "filepaths": ["t{{i}}.abc"], "analysis": "Tune {{i}}, a jig."}""");
        }
        lines.Add("not json");
        lines.Add("""{"id": "no-files"}""");
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [TestMethod]
    public void CountsUnreadableLinesAndUnusableItemsOfBothFiles()
    {
        using var tmp = TestPaths.NewTempDir();
        var log = new List<string>();
        var options = TrainerTests.Options(Path.Combine(tmp.Path, "run"), 1);
        var set = M4RagTrainingSet.Read(Jsonl(tmp.Path, "train.jsonl"), tmp.Path, Jsonl(tmp.Path, "eval.jsonl"), options, log.Add);
        Assert.HasCount(4, set.TrainPairs);
        Assert.HasCount(4, set.EvalPairs!);
        Assert.AreEqual((2, 1, 2, 1), (set.BadLines, set.SkippedItems, set.BadEvalLines, set.SkippedEvalItems));
        Assert.AreEqual(6, set.Skipped);
        Assert.IsTrue(log.Any(l => l.Contains("train.jsonl:6")), string.Join("\n", log));
        Assert.AreEqual("4 training pairs (2 unreadable lines and 1 items without usable music or text skipped), 4 evaluation pairs (3 skipped)", set.ToString());
        var withoutEval = M4RagTrainingSet.Read(Jsonl(tmp.Path, "train.jsonl"), tmp.Path, null, options);
        Assert.IsNull(withoutEval.EvalPairs);
        Assert.AreEqual("4 training pairs (2 unreadable lines and 1 items without usable music or text skipped)", withoutEval.ToString());
    }

    [TestMethod]
    public void TrainReportsWhatWasReadEachStepAndWhereTheCheckpointsAre()
    {
        using var tmp = TestPaths.NewTempDir();
        var options = TrainerTests.Options(Path.Combine(tmp.Path, "run"), 1);
        options.BatchSize = 2;
        options.SaveEvery = 0;
        var set = M4RagTrainingSet.Read(Jsonl(tmp.Path, "train.jsonl"), tmp.Path, null, options);
        var report = new List<string>();
        var result = set.Train(options, report.Add);
        Assert.AreEqual(1, result.EpochsDone);
        Assert.AreEqual(set + "; device cpu", report[0]);
        StringAssert.StartsWith(report[1], "epoch 1/1 step 1/2 loss ");
        StringAssert.StartsWith(report[^2], "Done: 1 epochs, best epoch ");
        StringAssert.EndsWith(report[^2], $", {set.Skipped + result.SkippedPairs} rows skipped");
        Assert.AreEqual($"best: {result.BestCheckpoint}\nlatest (resume): {result.LatestCheckpoint}", report[^1]);
    }

    [TestMethod]
    public void FindProblemNamesTheFirstOutOfRangeProperty()
    {
        Assert.IsNull(new Clamp3TrainerOptions().FindProblem());
        Assert.AreEqual("Epochs must be at least 1.", new Clamp3TrainerOptions { Epochs = 0, BatchSize = 0 }.FindProblem());
        Assert.AreEqual("SubBatchSize must be at least 1.", new Clamp3TrainerOptions { SubBatchSize = 0 }.FindProblem());
        Assert.AreEqual("LearningRate must be 0 or more.", new Clamp3TrainerOptions { LearningRate = double.NaN }.FindProblem());
        Assert.AreEqual("Dropout must be in [0, 1).", new Clamp3TrainerOptions { Dropout = 1 }.FindProblem());
        Assert.AreEqual("MaxDuration must be more than 0.", new Clamp3TrainerOptions { MaxDuration = TimeSpan.Zero }.FindProblem());
        var e = Assert.ThrowsExactly<ArgumentException>(() => Clamp3TrainingLoop.Train([], new Clamp3TrainerOptions { TokenizerPath = "t", ConfigPath = "c", WarmupSteps = -1 }));
        Assert.AreEqual("WarmupSteps must be 0 or more.", e.Message, "training refuses what FindProblem finds");
    }
}
