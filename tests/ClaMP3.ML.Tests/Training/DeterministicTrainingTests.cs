using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Training;

/// <summary>One seed, one run: across processes, across an end-of-epoch resume in a new process, across a mid-epoch resume;
/// dropout on and replayed exactly by the gradient cache.</summary>
[TestClass]
public sealed class DeterministicTrainingTests
{
    [ClassInitialize]
    public static void Init(TestContext _) => torch.set_num_threads(1);

    [TestMethod]
    public void SeedStreamsAreFixedNumbers()
    {
        // SplitMix64's published first output for state 0, and the scheme's streams: distinct per purpose and position.
        Assert.AreEqual(0xE220A8397B1DCDAFUL, TrainingSeeds.SplitMix64(0));
        var seeds = new[]
        {
            TrainingSeeds.Derive(7, SeedPurpose.Shuffle, 1), TrainingSeeds.Derive(7, SeedPurpose.Shuffle, 2),
            TrainingSeeds.Derive(7, SeedPurpose.Batch, 1, 0), TrainingSeeds.Derive(7, SeedPurpose.Batch, 1, 1),
            TrainingSeeds.Derive(7, SeedPurpose.Dropout, 1, 0), TrainingSeeds.Derive(8, SeedPurpose.Shuffle, 1),
        };
        Assert.AreEqual(seeds.Length, seeds.Distinct().Count());
        var a = TrainingSeeds.Random(7, SeedPurpose.Batch, 3, 5);
        var b = TrainingSeeds.Random(7, SeedPurpose.Batch, 3, 5);
        var drawsA = Enumerable.Range(0, 100).Select(i => a.Next(i + 1) + a.NextDouble()).ToArray();
        CollectionAssert.AreEqual(drawsA, Enumerable.Range(0, 100).Select(i => b.Next(i + 1) + b.NextDouble()).ToArray());
        Assert.IsTrue(drawsA.All(d => d >= 0 && d < 101));
        // Next(1, n) as random.randint(1, n - 1) needs: never below the minimum, never the maximum.
        var r = new SeededRandom(1);
        var ints = Enumerable.Range(0, 2000).Select(_ => r.Next(1, 4)).ToArray();
        CollectionAssert.AreEquivalent(new[] { 1, 2, 3 }, ints.Distinct().ToArray());
    }

    [TestMethod]
    [Timeout(600_000)]
    public void CliRunsWithOneSeedAgreeAcrossProcessesAndAcrossAResumeInANewProcess()
    {
        using var dir = TestPaths.NewTempDir();
        string jsonl = WriteJsonl(dir.Path);
        string[] Common(string output, int epochs) => new[]
        {
            "train", jsonl, TestPaths.Fixture("clamp3-tiny", "inputs"), "--checkpoint", TrainStepFixture.Checkpoint,
            "--config", TrainStepFixture.Config, "--tokenizer", TestPaths.Fixture("tokenizer", "spm.model"),
            "--output", Path.Combine(dir.Path, output), "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
            "--batch-size", "2", "--lr", "1e-3", "--eval-split", "0.3", "--save-every", "1", "--seed", "11",
        };
        var first = RunCli(Common("a", 2));
        var second = RunCli(Common("b", 2));
        Assert.AreEqual(8, first.Count, "2 epochs × (3 steps (9 pairs, 2 held out, batch 2) + an evaluation): " + string.Join(" | ", first));
        CollectionAssert.AreEqual(first, second, "same seed, another process");
        for (int epoch = 1; epoch <= 2; epoch++) AssertSameCheckpoint(dir.Path, $"a/epoch_{epoch}.pth", $"b/epoch_{epoch}.pth");

        var stopped = RunCli(Common("c", 1));
        CollectionAssert.AreEqual(first.Take(4).ToList(), stopped, "the first epoch of a shorter run");
        var resumed = RunCli(Common("d", 2).Concat(new[] { "--resume", Path.Combine(dir.Path, "c", "latest.pth") }).ToArray());
        CollectionAssert.AreEqual(first.Skip(4).ToList(), resumed, "resumed in a new process: the uninterrupted run's losses");
        AssertSameCheckpoint(dir.Path, "a/epoch_2.pth", "d/epoch_2.pth");
    }

    [TestMethod]
    public void RunStoppedMidEpochResumesWithTheUninterruptedLossesAndWeights()
    {
        using var dir = TestPaths.NewTempDir();
        var pairs = TrainerTests.SymbolicPairs();
        var fullSteps = new List<double>();
        var full = Clamp3TrainingLoop.Train(pairs, Options(Path.Combine(dir.Path, "full"), 3), progress: new StepLosses(fullSteps));

        // Stopped after global step 6: two of the four steps of epoch 2.
        using var cts = new CancellationTokenSource();
        var stoppedSteps = new List<double>();
        var stopped = Clamp3TrainingLoop.Train(pairs, Options(Path.Combine(dir.Path, "stopped"), 3),
            progress: new StepLosses(stoppedSteps, (step, _) => { if (step == 6) cts.Cancel(); }), cancellationToken: cts.Token);
        Assert.IsTrue(stopped.Cancelled);
        Assert.AreEqual(1, stopped.EpochsDone);
        CollectionAssert.AreEqual(fullSteps.Take(6).ToArray(), stoppedSteps.ToArray());
        var root = (IReadOnlyDictionary<string, object?>)CheckpointReader.ReadPickle(stopped.LatestCheckpoint)!;
        Assert.AreEqual(1L, root["epoch"], "the official scripts see one complete epoch");
        var progress = (IReadOnlyDictionary<string, object?>)root["epoch_progress"]!;
        Assert.AreEqual(2L, progress["epoch"]);
        Assert.AreEqual(2L, progress["steps"]);

        var resumedSteps = new List<double>();
        var options = Options(Path.Combine(dir.Path, "resumed"), 3);
        options.ResumeFrom = stopped.LatestCheckpoint;
        var resumed = Clamp3TrainingLoop.Train(pairs, options, progress: new StepLosses(resumedSteps));
        CollectionAssert.AreEqual(fullSteps.Skip(6).ToArray(), resumedSteps.ToArray(), "the rest of epoch 2 and epoch 3");
        CollectionAssert.AreEqual(full.TrainLosses.Skip(1).ToArray(), resumed.TrainLosses.ToArray(), "epoch means, the interrupted one included");
        AssertSameCheckpoint(dir.Path, "full/epoch_3.pth", "resumed/epoch_3.pth");
    }

    [TestMethod]
    public void DropoutActsInTrainingOnlyAndTheSeedFixesItsMasks()
    {
        using var dir = TestPaths.NewTempDir();
        var pairs = TrainerTests.SymbolicPairs();
        var withDropout = Clamp3TrainingLoop.Train(pairs, Options(Path.Combine(dir.Path, "a"), 1));
        var again = Clamp3TrainingLoop.Train(pairs, Options(Path.Combine(dir.Path, "b"), 1));
        var noDropoutOptions = Options(Path.Combine(dir.Path, "c"), 1);
        noDropoutOptions.Dropout = 0;
        var noDropout = Clamp3TrainingLoop.Train(pairs, noDropoutOptions);
        Assert.AreEqual(withDropout.TrainLosses[0], again.TrainLosses[0]);
        Assert.AreNotEqual(withDropout.TrainLosses[0], noDropout.TrainLosses[0], "dropout 0.1 changes the training losses");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "a", "config.json")));
        Assert.AreEqual(0.1, doc.RootElement.GetProperty("text").GetProperty("hidden_dropout_prob").GetDouble());
        Assert.AreEqual(0.1, doc.RootElement.GetProperty("symbolic").GetProperty("attention_probs_dropout_prob").GetDouble());
    }

    [TestMethod]
    public void GradientCacheWithDropoutReplaysEachSubBatchsMasks()
    {
        var config = Clamp3Config.Load(TrainStepFixture.Config);
        BertConfig Drop(BertConfig c) => c with { HiddenDropoutProb = 0.3, AttentionProbsDropoutProb = 0.3 };
        var dropConfig = config with { Text = Drop(config.Text), Symbolic = Drop(config.Symbolic), Audio = Drop(config.Audio) };
        using var model = new Clamp3Model(dropConfig);
        StateDictLoader.Load(model, CheckpointReader.Read(TrainStepFixture.Checkpoint), ignoreUnexpected: Clamp3Config.IsKnownBuffer);
        model.train();
        using var batch = TrainStepFixture.LoadBatch("text_symbolic");
        var chunks = new[] { new long[] { 0, 1 }, new long[] { 2, 3 } };
        if (batch.Count != 4) Assert.Inconclusive($"the fixture batch has {batch.Count} rows");
        var objective = new ContrastiveObjective(model) { DropoutSeed = 12345 };

        // The cache: no-graph features per sub-batch, loss, then each sub-batch re-run with its masks replayed.
        objective.BackwardCached(batch, chunks);
        var cached = Gradients(model);
        foreach (var (_, p) in model.named_parameters()) p.grad = null;

        // Reference: every sub-batch forward with graph under the same seeds, one loss, one backward.
        using (var scope = NewDisposeScope())
        {
            var texts = new List<Tensor>();
            var musics = new List<Tensor>();
            for (int c = 0; c < chunks.Length; c++)
            {
                using var sub = batch.Select(chunks[c]);
                torch.manual_seed((long)(TrainingSeeds.SplitMix64(12345UL ^ (ulong)c) >> 1));
                var (t, m) = objective.Features(sub);
                texts.Add(t); musics.Add(m);
            }
            objective.Loss(cat(texts, 0), cat(musics, 0)).Loss.backward();
        }
        var reference = Gradients(model);
        foreach (var (_, p) in model.named_parameters()) p.grad = null;
        model.eval();
        objective.BackwardCached(batch, chunks); // eval mode: no dropout
        var noDropout = Gradients(model);

        double worst = 0, moved = 0;
        int failures = 0;
        foreach (var (name, g) in reference)
        {
            for (int i = 0; i < g.Length; i++)
            {
                double d = Math.Abs(g[i] - cached[name][i]);
                worst = Math.Max(worst, d);
                if (d > 1e-5 + 1e-3 * Math.Abs(g[i])) failures++;
                moved = Math.Max(moved, Math.Abs(g[i] - noDropout[name][i]));
            }
        }
        Assert.AreEqual(0, failures, $"cached vs reference gradients (atol 1e-5, rtol 1e-3): worst |difference| {worst}");
        Assert.IsTrue(moved > 1e-4, $"dropout changed the gradients (max difference {moved})");
    }

    internal static Clamp3TrainerOptions Options(string output, int epochs)
    {
        var o = TrainerTests.Options(output, epochs);
        o.BatchSize = 2;
        return o;
    }

    private static Dictionary<string, float[]> Gradients(Clamp3Model model) => model.named_parameters()
        .Where(kv => kv.parameter.grad is not null)
        .ToDictionary(kv => kv.name, kv => TrainStepFixture.ToArray(kv.parameter.grad!));

    internal static void AssertSameCheckpoint(string root, string a, string b)
    {
        var x = CheckpointReader.Read(Path.Combine(root, a));
        var y = CheckpointReader.Read(Path.Combine(root, b));
        Assert.AreEqual(x.Count, y.Count);
        foreach (var (name, t) in x) CollectionAssert.AreEqual(t.Data, y[name].Data, $"{name}: {a} vs {b}");
    }

    /// <summary>An M4-RAG JSONL over the fixture inputs: one text file and one or two scores per item.</summary>
    private static string WriteJsonl(string dir)
    {
        string inputs = TestPaths.Fixture("clamp3-tiny", "inputs");
        var texts = Directory.GetFiles(Path.Combine(inputs, "text"), "*.txt").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var scores = Directory.GetFiles(Path.Combine(inputs, "abc"), "*.abc").Concat(Directory.GetFiles(Path.Combine(inputs, "mtf"), "*.mtf"))
            .Select(f => Path.GetRelativePath(inputs, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var lines = texts.Select((t, i) => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = Path.GetFileNameWithoutExtension(t),
            ["filepaths"] = i + 9 < scores.Length ? new[] { scores[i], scores[i + 9] } : new[] { scores[i] },
            ["title"] = Path.GetFileNameWithoutExtension(t),
            ["analysis"] = File.ReadAllText(t),
            ["description"] = "Line one.\nLine two.",
        }));
        string path = Path.Combine(dir, "items.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary><c>clamp3 train …</c> in a child process; the per-step and eval loss lines without timings.</summary>
    private static List<string> RunCli(string[] args)
    {
        var (code, stdout, stderr) = ChildProcess.Run(ChildProcess.Clamp3, args);
        Assert.AreEqual(0, code, stderr + stdout);
        return stdout.Split('\n').Select(l => Regex.Match(l, @"^(epoch \d+/\d+ (?:step \d+/\d+ )?(?:eval )?loss \S+)")).Where(m => m.Success)
            .Select(m => Regex.Replace(m.Groups[1].Value, @"^epoch (\d+)/\d+", "epoch $1")).Select(l => Regex.Replace(l, @"step (\d+)/\d+", "step $1")).ToList();
    }

    /// <summary>Collects per-step training losses (synchronously, in order).</summary>
    internal sealed class StepLosses(List<double> losses, Action<long, double>? onStep = null) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Phase != "train") return;
            losses.Add(value.Loss);
            onStep?.Invoke(value.Step, value.Loss);
        }
    }
}
