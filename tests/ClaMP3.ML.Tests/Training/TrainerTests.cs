using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tests.Checkpoints;
using ClaMP3.ML.Training;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace ClaMP3.ML.Tests.Training;

/// <summary>The training loop on clamp3-tiny: checkpoints (Python and our reader), resume, bad data, the estimator.</summary>
[TestClass]
public sealed class TrainerTests
{
    [ClassInitialize]
    public static void Init(TestContext _) => torch.set_num_threads(1);

    private static string Input(params string[] p) => TestPaths.Fixture(new[] { "clamp3-tiny", "inputs" }.Concat(p).ToArray());

    /// <summary>Nine symbolic pairs: each fixture text with a fixture score.</summary>
    internal static List<TrainingPair> SymbolicPairs()
    {
        var texts = Directory.GetFiles(Input("text"), "*.txt").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var scores = Directory.GetFiles(Input("abc"), "*.abc").Concat(Directory.GetFiles(Input("mtf"), "*.mtf")).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        return texts.Select((t, i) => new TrainingPair(Path.GetFileNameWithoutExtension(t), File.ReadAllText(t), new[] { File.ReadAllText(scores[i]) })).ToList();
    }

    internal static Clamp3TrainerOptions Options(string output, int epochs) => new()
    {
        CheckpointPath = TrainStepFixture.Checkpoint,
        ConfigPath = TrainStepFixture.Config,
        TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model"),
        MusicModality = Modality.Symbolic,
        OutputDirectory = output,
        Epochs = epochs,
        BatchSize = 4,
        LearningRate = 1e-3,
        EvalSplit = 0,
        SaveEvery = 1,
        Seed = 7,
    };

    [TestMethod]
    public void ResumedRunRepeatsTheUninterruptedLossesAndWeights()
    {
        using var dir = TestPaths.NewTempDir();
        var pairs = SymbolicPairs();
        var full = Clamp3TrainingLoop.Train(pairs, Options(Path.Combine(dir.Path, "full"), 3));
        Assert.AreEqual(3, full.TrainLosses.Count);
        Assert.IsTrue(full.TrainLosses[2] < full.TrainLosses[0], $"training loss should fall: {string.Join(", ", full.TrainLosses)}");

        var resumeOptions = Options(Path.Combine(dir.Path, "resumed"), 3);
        resumeOptions.ResumeFrom = Path.Combine(dir.Path, "full", "epoch_1.pth");
        var resumed = Clamp3TrainingLoop.Train(pairs, resumeOptions);
        CollectionAssert.AreEqual(full.TrainLosses.Skip(1).ToArray(), resumed.TrainLosses.ToArray(),
            $"uninterrupted {string.Join(", ", full.TrainLosses)} vs resumed {string.Join(", ", resumed.TrainLosses)}");
        var a = CheckpointReader.Read(Path.Combine(dir.Path, "full", "epoch_3.pth"));
        var b = CheckpointReader.Read(Path.Combine(dir.Path, "resumed", "epoch_3.pth"));
        Assert.AreEqual(a.Count, b.Count);
        foreach (var (name, t) in a)
            CollectionAssert.AreEqual(t.Data, b[name].Data, $"{name} differs after resuming");
    }

    [TestMethod]
    public void CheckpointHasTheOfficialLayoutForTorchAndOurReader()
    {
        using var dir = TestPaths.NewTempDir();
        var result = Clamp3TrainingLoop.Train(SymbolicPairs(), Options(dir.Path, 1));
        var root = (IReadOnlyDictionary<string, object?>)CheckpointReader.ReadPickle(result.LatestCheckpoint)!;
        CollectionAssert.AreEquivalent(new[] { "model", "optimizer", "lr_sched", "epoch", "best_epoch", "min_eval_loss", "modality" }, root.Keys.ToArray());
        Assert.AreEqual("symbolic", root["modality"]);
        Assert.AreEqual(1L, root["epoch"]);
        // The model loads as an inference model and its features differ from the starting checkpoint's.
        using var trained = Clamp3ModelLoader.Load(result.LatestCheckpoint, TrainStepFixture.Config).Model;

        var script = """
import sys, torch
ck = torch.load(sys.argv[1], map_location='cpu')
assert set(ck) == {'model','optimizer','lr_sched','epoch','best_epoch','min_eval_loss','modality'}, set(ck)
ref = torch.load(sys.argv[2], map_location='cpu')
ref = ref.get('model', ref)
missing = [k for k in ref if k not in ck['model']]
assert not missing, missing
for k, v in ck['model'].items():
    assert v.dtype == torch.float32 and v.shape == ref[k].shape, k
opt = ck['optimizer']
g = opt['param_groups'][0]
assert g['lr'] == 1e-3 and g['betas'] == (0.9, 0.999) and g['weight_decay'] == 0.01, g
n = len(g['params'])
assert n == 84, n
assert len(opt['state']) == 79, len(opt['state'])
s0 = opt['state'][0]
assert s0['step'].item() == 2.0, s0['step']
# the optimizer state loads into a real torch AdamW over parameters of the same shapes
names = [k for k in ck['model'] if not (k.startswith('audio_model.') or k.startswith('audio_proj.'))]
params = [torch.nn.Parameter(ck['model'][k].clone()) for k in names]
o = torch.optim.AdamW(params, lr=1e-5)
o.load_state_dict(opt)
print('ok', ck['epoch'], ck['modality'], len(ck['model']), ck['lr_sched']['last_epoch'])
""";
        var output = PythonTorch.Run(script, result.LatestCheckpoint, TrainStepFixture.Checkpoint);
        StringAssert.StartsWith(output.Trim(), "ok 1 symbolic");
    }

    [TestMethod]
    public void BadRowsAreSkippedAndCountedAndSingletonBatchesWork()
    {
        using var dir = TestPaths.NewTempDir();
        var pairs = SymbolicPairs().Take(1).ToList();
        pairs.Add(new TrainingPair("empty-text", "  ", new[] { "X:1\nK:C\nCDEF|\n" }));
        pairs.Add(new TrainingPair("no-score", "a text", new[] { "" }));
        var logs = new List<string>();
        var options = Options(dir.Path, 1);
        options.BatchSize = 1;
        var result = Clamp3TrainingLoop.Train(pairs, options, log: logs.Add);
        Assert.AreEqual(2, result.SkippedPairs);
        Assert.IsTrue(logs.Any(l => l.Contains("empty-text") && l.Contains("empty text")), string.Join("\n", logs));
        Assert.IsTrue(logs.Any(l => l.Contains("no-score")), string.Join("\n", logs));
        Assert.AreEqual(0.0, result.TrainLosses[0], 1e-6, "one pair: both cross-entropies are log(1) = 0");
    }

    [TestMethod]
    public void GradientCacheTrainingGivesTheSameLossesAsFullBatches()
    {
        using var dir = TestPaths.NewTempDir();
        // Without dropout: with it, the masks are drawn per sub-batch (DeterministicTrainingTests checks the replay).
        var plainOptions = Options(Path.Combine(dir.Path, "a"), 2);
        plainOptions.Dropout = 0;
        var plain = Clamp3TrainingLoop.Train(SymbolicPairs(), plainOptions);
        var o = Options(Path.Combine(dir.Path, "b"), 2);
        o.SubBatchSize = 2;
        o.Dropout = 0;
        var cached = Clamp3TrainingLoop.Train(SymbolicPairs(), o);
        for (int i = 0; i < 2; i++)
            Assert.AreEqual(plain.TrainLosses[i], cached.TrainLosses[i], 1e-4, $"epoch {i + 1}");
    }

    [TestMethod]
    public void EstimatorReturnsFeaturizersOverTheTrainedWeights()
    {
        using var dir = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 1);
        var rows = SymbolicPairs().Select(p => new Row { Text = p.Text, Music = p.Scores![0] }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var reports = new List<TrainingProgress>();
        var trainer = ml.Transforms.TrainClamp3(new Clamp3ContrastiveTrainerOptions
        {
            Training = Options(dir.Path, 2),
            Progress = new SyncProgress(reports.Add),
        });
        var model = trainer.Fit(data);
        Assert.IsTrue(reports.Any(r => r.Phase == "train" && r.SamplesPerSecond > 0), "progress reports");
        var output = model.Transform(data);
        var textFeatures = output.GetColumn<float[]>("TextFeatures").ToList();
        var musicFeatures = output.GetColumn<float[]>("MusicFeatures").ToList();
        Assert.AreEqual(rows.Count, textFeatures.Count);

        // Same numbers as the trained checkpoint embedded directly, and not those of the starting weights.
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(trainer.TrainedCheckpointPath!) { ConfigPath = Path.Combine(dir.Path, "config.json"), TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model") });
        var direct = embedder.EmbedScore(rows[0].Music).Values;
        for (int i = 0; i < direct.Length; i++) Assert.AreEqual(direct[i], musicFeatures[0][i], 1e-5f);
        using var start = Clamp3Embedder.Load(new Clamp3EmbedderOptions(TrainStepFixture.Checkpoint) { ConfigPath = TrainStepFixture.Config, TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model") });
        var before = start.EmbedScore(rows[0].Music).Values;
        Assert.IsTrue(before.Zip(direct).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "training changed the score features");

        var path = Path.Combine(dir.Path, "pipeline.zip");
        Clamp3ModelFile.Save(ml, model, data.Schema, path);
        Assert.IsTrue(new FileInfo(path).Length > 0);
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Music { get; set; } = "";
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
