using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval.Index;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Inference;

/// <summary>The <c>clamp3 embed</c> job in its three steps: planning loads nothing and refuses a file it would not embed,
/// running reports the engine and progress, and a sharded task ends with its shard file or a failure.</summary>
[TestClass]
public class Clamp3EmbedJobTests
{
    private static Clamp3EmbedJobOptions Options(string input, string output, ShardSpec? shard = null) =>
        new(input, output, new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = Clamp3Fixture.Config, TokenizerPath = Clamp3Fixture.Tokenizer, BatchSize = 4 })
        {
            Kind = FeatureKind.Global,
            Shard = shard,
        };

    private static string TextInputs(string root, params string[] names)
    {
        string input = Path.Combine(root, "in");
        Directory.CreateDirectory(input);
        foreach (var name in names) File.Copy(Clamp3Fixture.PathOf(Path.Combine("inputs", "text", name)), Path.Combine(input, name));
        return input;
    }

    [TestMethod]
    public void PlanFindsTheShardsInputsAndRefusesAFileItWouldNotEmbed()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = TextInputs(tmp.Path, "one_line.txt", "exact_1x.txt", "multilingual.txt");
        using (var all = Clamp3EmbedJob.Plan(Options(input, Path.Combine(tmp.Path, "out"))))
        {
            CollectionAssert.AreEqual(new[] { "exact_1x.txt", "multilingual.txt", "one_line.txt" }, all.Batch.Items.Select(i => i.RelativePath).ToArray());
            Assert.IsFalse(all.WithAudio);
        }
        using (var second = Clamp3EmbedJob.Plan(Options(input, Path.Combine(tmp.Path, "out"), new ShardSpec(1, 2)) with { Kind = FeatureKind.Sequence }))
        {
            CollectionAssert.AreEqual(new[] { "multilingual.txt" }, second.Batch.Items.Select(i => i.RelativePath).ToArray());
            Assert.IsNull(second.FinishShard(new FileBatchReport([], TimeSpan.Zero)), "sequence features give no shard file");
        }
        using (var whole = Clamp3EmbedJob.Plan(Options(input, Path.Combine(tmp.Path, "out"))))
            Assert.ThrowsExactly<InvalidOperationException>(() => whole.FinishShard(new FileBatchReport([], TimeSpan.Zero)));

        string wav = Path.Combine(tmp.Path, "song.wav");
        File.WriteAllBytes(wav, [0]);
        var refused = Assert.ThrowsExactly<NotSupportedException>(() => Clamp3EmbedJob.Plan(Options(wav, Path.Combine(tmp.Path, "out"))));
        StringAssert.Contains(refused.Message, wav);
        StringAssert.Contains(refused.Message, "audio needs --mert");
        Assert.ThrowsExactly<FileNotFoundException>(() => Clamp3EmbedJob.Plan(Options(Path.Combine(tmp.Path, "missing"), Path.Combine(tmp.Path, "out"))));
    }

    [TestMethod]
    public void RunReportsTheEngineAndProgressAndAShardEndsWithItsIndexFile()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = TextInputs(tmp.Path, "one_line.txt", "exact_1x.txt", "multilingual.txt"), output = Path.Combine(tmp.Path, "out");
        using var job = Clamp3EmbedJob.Plan(Options(input, output, new ShardSpec(0, 1)));
        var lines = new List<string>();
        var results = new List<FileBatchResult>();
        var report = job.Run(results.Add, report: lines.Add);
        Assert.AreEqual(3, report.Done);
        Assert.HasCount(3, results);
        StringAssert.StartsWith(lines[0], "Using engine: ");
        StringAssert.StartsWith(lines[^1], "[3/3] 3 embedded, 0 skipped, 0 failed, ");
        Assert.IsTrue(File.Exists(Path.Combine(output, "one_line.npy")));

        var written = job.FinishShard(report);
        Assert.IsNotNull(written);
        Assert.AreEqual(Path.Combine(output, "shards", VectorIndexBuilder.ShardFileName(0, 1)), written.Value.Path);
        Assert.AreEqual(3, written.Value.Rows);
        Assert.IsTrue(File.Exists(written.Value.Path));

        var failed = new FileBatchReport([new FileBatchResult(job.Batch.Items[0], FileBatchStatus.Failed, "bad")], TimeSpan.Zero);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => job.FinishShard(failed));
        StringAssert.StartsWith(e.Message, "shard 0/1: 1 file(s) failed; no shard file written");
    }
}
