namespace ClaMP3.ML.Tests.Cli;

/// <summary><c>clamp3 train</c> on the documented example JSONL (docs/examples/make-train-jsonl.sh over the real corpus),
/// in a child process as a user runs it: skipped lines counted in the summary, errors that name flags.</summary>
[TestClass]
public class TrainCliTests
{
    private static ChildProcessResult Run(string file, IEnumerable<string> args, string? clamp3ForScript = null) =>
        ChildProcess.Run(file, args, TestPaths.RepoRoot, clamp3ForScript is null ? null : new Dictionary<string, string> { ["CLAMP3"] = clamp3ForScript });

    private static string Clamp3 => ChildProcess.Clamp3;

    [TestMethod]
    [Timeout(300_000)]
    public void ExampleJsonlTrainsAndTheSummaryCountsSkippedLines()
    {
        if (!File.Exists("/usr/bin/jq")) Assert.Inconclusive("jq is not installed (apt-get install jq): the example script needs it.");
        using var tmp = TestPaths.NewTempDir();
        string data = Path.Combine(tmp.Path, "example");
        var made = Run("bash", [Path.Combine(TestPaths.RepoRoot, "docs", "examples", "make-train-jsonl.sh"), TestPaths.RealData, data], Clamp3);
        Assert.AreEqual(0, made.Code, made.Error + made.Output);
        var jsonl = Path.Combine(data, "train.jsonl");
        Assert.HasCount(31, File.ReadAllLines(jsonl));
        File.AppendAllLines(jsonl, ["not json", "{\"id\":\"no-files\"}", "{\"id\":\"gone\",\"filepaths\":[\"abc/missing.abc\"],\"title\":\"t\"}"]);

        var fixture = TestPaths.Fixture("clamp3-tiny");
        var train = Run(Clamp3, ["train", jsonl, data, "--checkpoint", Path.Combine(fixture, "clamp3_tiny.pth"), "--config", Path.Combine(fixture, "config.json"),
            "--tokenizer", TestPaths.Fixture("tokenizer", "spm.model"), "--epochs", "1", "--batch-size", "16", "--normalized-features", "--lr", "1e-3",
            "--save-every", "0", "--output", Path.Combine(tmp.Path, "run")]);
        Assert.AreEqual(0, train.Code, train.Error);
        StringAssert.Contains(train.Output, "31 training pairs (2 unreadable lines and 1 items without usable music or text skipped)");
        StringAssert.Contains(train.Output, ", 3 rows skipped");
        Assert.IsTrue(File.Exists(Path.Combine(tmp.Path, "run", "latest.pth")));
    }

    [TestMethod]
    public void ErrorsNameTheFlags()
    {
        using var tmp = TestPaths.NewTempDir();
        var jsonl = Path.Combine(tmp.Path, "t.jsonl");
        File.WriteAllText(jsonl, "{\"id\":\"a\",\"filepaths\":[\"a.abc\"],\"title\":\"t\"}\n");
        var noModel = Run(Clamp3, ["train", jsonl, tmp.Path, "--tokenizer", TestPaths.Fixture("tokenizer", "spm.model")]);
        Assert.AreEqual(2, noModel.Code);
        StringAssert.Contains(noModel.Error, "--checkpoint");
        StringAssert.Contains(noModel.Error, "--config");
        Assert.DoesNotContain("CheckpointPath", noModel.Error);

        var split = Run(Clamp3, ["train", jsonl, tmp.Path, "--tokenizer", "x", "--config", "c.json", "--eval-split", "1.5"]);
        Assert.AreEqual(2, split.Code);
        StringAssert.Contains(split.Error, "--eval-split");
        Assert.AreEqual("Give --checkpoint (starting weights) or --config (random init).",
            ClaMP3.Cli.Commands.TrainCommand.WithFlagNames("Give CheckpointPath (starting weights) or ConfigPath (random init)."));
    }
}
