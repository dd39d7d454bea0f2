using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Tests;

/// <summary>
/// <c>clamp3 embed --shard I/N</c> run as a real Slurm job array (4 tasks) on a one-node cluster started by the test:
/// the merged shard files must equal a single-process run, and a failed task must leave no shard file.
/// </summary>
[TestClass]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SlurmArrayTests
{
    private static string Tiny(params string[] parts) => TestPaths.Fixture(new[] { "clamp3-tiny" }.Concat(parts).ToArray());
    private static string Clamp3 => Path.Combine(AppContext.BaseDirectory, "clamp3");

    private static string[] EmbedArgs(string input, string output) =>
    [
        "embed", input, output, "--checkpoint", Tiny("clamp3_tiny.pth"), "--config", Tiny("config.json"),
        "--tokenizer", TestPaths.Fixture("tokenizer", "spm.model"), "--global", "--batch-size", "1",
    ];

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>A batch script running one shard of the embedding per array task.</summary>
    private static string WriteJob(string folder, string name, string input, string output)
    {
        string script = Path.Combine(folder, name);
        string args = string.Join(" ", EmbedArgs(input, output).Select(Quote));
        File.WriteAllText(script, $"#!/bin/bash\nexec {Quote(Clamp3)} {args} --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static void CopyInputs(string to)
    {
        foreach (var kind in new[] { "text", "abc", "mtf", "audio" })
        {
            Directory.CreateDirectory(Path.Combine(to, kind));
            foreach (var f in Directory.GetFiles(Tiny("inputs", kind)).Where(f => f.EndsWith(".txt") || f.EndsWith(".abc") || f.EndsWith(".mtf") || f.EndsWith(".npy")))
                File.Copy(f, Path.Combine(to, kind, Path.GetFileName(f)));
        }
    }

    [TestMethod]
    [Timeout(1_800_000)]
    public void ShardedEmbeddingAsASlurmArrayEqualsASingleProcessRun()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Slurm test skipped: Linux only.");
        if (SlurmCluster.Unavailable() is { } why) Assert.Inconclusive("Slurm test skipped: " + why);
        using var tmp = TestPaths.NewTempDir();
        string inputs = Path.Combine(tmp.Path, "inputs");
        CopyInputs(inputs);
        int total = Directory.GetFiles(inputs, "*", SearchOption.AllDirectories).Length;

        // The single-process reference.
        string single = Path.Combine(tmp.Path, "single");
        var run = ChildProcess.Run(Clamp3, EmbedArgs(inputs, single));
        Assert.AreEqual(0, run.Code, run.Error);
        run = ChildProcess.Run(Clamp3, "index", "build", single, Path.Combine(tmp.Path, "single.c3index"));
        Assert.AreEqual(0, run.Code, run.Error);

        SlurmCluster cluster;
        try { cluster = SlurmCluster.Start(Path.Combine(tmp.Path, "slurm")); }
        catch (InvalidOperationException e) { Assert.Inconclusive("Slurm test skipped: the one-node cluster did not start: " + e.Message); return; }
        using (cluster)
        {
            string sharded = Path.Combine(tmp.Path, "sharded");
            string job = WriteJob(tmp.Path, "embed.sh", inputs, sharded);
            var sbatch = cluster.Run("/usr/bin/sbatch", "--parsable", "--wait", "--array=0-3", "--cpus-per-task=1", "--time=20",
                "-o", Path.Combine(tmp.Path, "task-%a.log"), job);
            Assert.AreEqual(0, sbatch.Code, $"sbatch: {sbatch.Error} {TaskLogs(tmp.Path)}");
            for (int s = 0; s < 4; s++)
                Assert.IsTrue(File.Exists(Path.Combine(sharded, "shards", VectorIndexBuilder.ShardFileName(s, 4))), $"shard {s}/4 missing. {TaskLogs(tmp.Path)}");
            string merged = Path.Combine(tmp.Path, "merged.c3index");
            run = ChildProcess.Run(Clamp3, "index", "build", Path.Combine(sharded, "shards"), merged);
            Assert.AreEqual(0, run.Code, run.Error);
            StringAssert.Contains(run.Output, "from 4 shards");

            using (var a = VectorIndex.Open(Path.Combine(tmp.Path, "single.c3index")))
            using (var b = VectorIndex.Open(merged))
            {
                Assert.AreEqual(total, a.Count, "every input embedded once");
                CollectionAssert.AreEqual(a.Keys.ToArray(), b.Keys.ToArray());
                double worst = 0;
                for (int i = 0; i < a.Count; i++)
                {
                    var x = a.GetVector(i); var y = b.GetVector(i);
                    for (int d = 0; d < x.Length; d++) worst = Math.Max(worst, Math.Abs(x[d] - y[d]));
                }
                Assert.IsTrue(worst <= 1e-6, $"merged shards differ from the single-process run by up to {worst}");
            }

            // A task with a bad input fails, and leaves no shard file; the merge names the missing shard.
            string badInputs = Path.Combine(tmp.Path, "bad-inputs");
            CopyInputs(badInputs);
            File.WriteAllBytes(Path.Combine(badInputs, "text", "zz_not_utf8.txt"), new byte[] { 0x41, 0xFF, 0xFE, 0x42 });
            var sorted = Directory.GetFiles(badInputs, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(badInputs, f)).Order(StringComparer.Ordinal).ToList();
            int failing = sorted.IndexOf(Path.Combine("text", "zz_not_utf8.txt")) % 4;
            string badOut = Path.Combine(tmp.Path, "bad-out");
            sbatch = cluster.Run("/usr/bin/sbatch", "--parsable", "--wait", "--array=0-3", "--cpus-per-task=1", "--time=20",
                "-o", Path.Combine(tmp.Path, "bad-%a.log"), WriteJob(tmp.Path, "bad.sh", badInputs, badOut));
            Assert.AreNotEqual(0, sbatch.Code, "the array must report the failed task");
            for (int s = 0; s < 4; s++)
                Assert.AreEqual(s != failing, File.Exists(Path.Combine(badOut, "shards", VectorIndexBuilder.ShardFileName(s, 4))), $"shard {s}/4 (failing task {failing})");
            Assert.AreEqual(0, Directory.GetFiles(Path.Combine(badOut, "shards"), "*.tmp").Length, "no temporary leftovers");
            run = ChildProcess.Run(Clamp3, "index", "build", Path.Combine(badOut, "shards"), Path.Combine(tmp.Path, "bad.c3index"));
            Assert.AreEqual(1, run.Code);
            StringAssert.Contains(run.Error, $"{failing}/4");
            Assert.AreEqual(1, run.Error.Trim().Split('\n').Length, "one error line: " + run.Error);
        }
    }

    private static string TaskLogs(string folder) =>
        string.Join(" || ", Directory.GetFiles(folder, "task-*.log").Order().Select(f => Path.GetFileName(f) + ": " + string.Join(" | ", File.ReadLines(f).TakeLast(4))));
}
