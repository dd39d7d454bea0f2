using System.IO.Compression;
using System.Text.Json.Nodes;
using ClaMP3.Cli;
using ClaMP3.ML.IO;
using ClaMP3.ML.Tests.Mert;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.ML.Tests.Cli;

/// <summary>The one error policy of <c>clamp3</c> (<see cref="CliErrors"/>), run through the same entry point as the
/// executable: a bad file is one line naming it, the batch goes on, the exit code says whether anything failed
/// (1) or the command could not start (2), and no .NET stack trace is ever printed.</summary>
[TestClass]
public class ErrorPolicyTests
{
    private static (int Code, string Out, string Err) Clamp3(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Clamp3Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertNoStackTrace(string output) =>
        Assert.IsFalse(output.Split('\n').Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.StartsWith("   ", StringComparison.Ordinal)),
            "a stack trace was printed:\n" + output);

    [TestMethod]
    public void EmbedWritesTheGoodFilesNamesTheBadOneAndExitsWith1()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        File.WriteAllText(Path.Combine(input, "a.txt"), "A lively Irish jig.");
        File.WriteAllText(Path.Combine(input, "sub", "c.txt"), "Une valse lente.");
        string bad = Path.Combine(input, "b.npy");
        File.WriteAllBytes(bad, "\x93NUMPY not really"u8.ToArray());
        var (code, stdout, stderr) = Clamp3("embed", input, output, "--checkpoint", Clamp3Fixture.Checkpoint, "--config", Clamp3Fixture.Config,
            "--tokenizer", Clamp3Fixture.Tokenizer, "--global", "--batch-size", "2");
        Assert.AreEqual(1, code, stdout + stderr);
        Assert.IsTrue(File.Exists(Path.Combine(output, "a.npy")), stderr);
        Assert.IsTrue(File.Exists(Path.Combine(output, "sub", "c.npy")), stderr);
        Assert.IsFalse(File.Exists(Path.Combine(output, "b.npy")));
        Assert.AreEqual(1, stderr.Split('\n').Count(l => l.Contains(bad, StringComparison.Ordinal)), "one line names the bad file:\n" + stderr);
        AssertNoStackTrace(stdout + stderr);
    }

    [TestMethod]
    public void EmbedRefusesNonFiniteMertFeaturesNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        var good = MertFixture.Npy("tune24k_mono16.mert.npy");
        NpyFile.WriteFloat32(Path.Combine(input, "good.npy"), good.Values, good.Shape);
        var poisoned = (float[])good.Values.Clone();
        poisoned[5] = float.NaN;
        NpyFile.WriteFloat32(Path.Combine(input, "nan.npy"), poisoned, good.Shape);
        var (code, stdout, stderr) = Clamp3("embed", input, output, "--checkpoint", Clamp3Fixture.Checkpoint, "--config", Clamp3Fixture.Config, "--global");
        Assert.AreEqual(1, code, stdout + stderr);
        Assert.IsTrue(File.Exists(Path.Combine(output, "good.npy")));
        Assert.IsFalse(File.Exists(Path.Combine(output, "nan.npy")), "no all-NaN embedding is written");
        StringAssert.Contains(stderr, Path.Combine(input, "nan.npy"));
        StringAssert.Contains(stderr, "non-finite");
        AssertNoStackTrace(stdout + stderr);
    }

    [TestMethod]
    public void MertWithAModelMissingATensorIsAUsageErrorNamingIt()
    {
        using var tmp = TestPaths.NewTempDir();
        string model = Path.Combine(tmp.Path, "mert");
        Directory.CreateDirectory(model);
        File.Copy(Path.Combine(MertFixture.Dir, "model.safetensors"), Path.Combine(model, "model.safetensors"));
        // One more layer than the weights hold: its tensors are missing.
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(MertFixture.Dir, "config.json")))!;
        config["num_hidden_layers"] = (int)config["num_hidden_layers"]! + 1;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var (code, stdout, stderr) = Clamp3("mert", MertFixture.Input("tune24k_mono16.wav"), Path.Combine(tmp.Path, "out"), "--model", model);
        Assert.AreEqual(CliErrors.Usage, code, stdout + stderr);
        StringAssert.Contains(stderr, model);
        Assert.AreEqual(1, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, stderr);
        AssertNoStackTrace(stdout + stderr);
    }

    [TestMethod]
    public void TransformOnABrokenPipelineFileNamesItInOneLine()
    {
        using var tmp = TestPaths.NewTempDir();
        string good = Path.Combine(tmp.Path, "good.zip"), tsv = Path.Combine(tmp.Path, "in.tsv");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "A jig." } });
        var model = ml.Transforms.FeaturizeClamp3(new Clamp3FeaturizerOptions
        {
            CheckpointPath = Clamp3Fixture.Checkpoint, ConfigPath = Clamp3Fixture.Config, TokenizerPath = Clamp3Fixture.Tokenizer,
            Modality = Modality.Text, InputColumnName = "Text",
        }).Fit(data);
        ml.Model.SaveClamp3(model, data.Schema, good);
        File.WriteAllLines(tsv, ["Text", "A reel."]);

        var broken = new Dictionary<string, Func<string, string>>
        {
            ["broken-json.zip"] = json => json[..(json.Length / 2)],
            ["no-members.zip"] = json =>
            {
                var manifest = JsonNode.Parse(json)!.AsObject();
                foreach (var file in manifest["files"]!.AsObject()) file.Value!.AsObject().Remove("members");
                return manifest.ToJsonString();
            },
            ["no-segments.zip"] = json =>
            {
                var manifest = JsonNode.Parse(json)!.AsObject();
                manifest.Remove("segments");
                return manifest.ToJsonString();
            },
        };
        foreach (var (name, mutate) in broken)
        {
            string path = Path.Combine(tmp.Path, name);
            File.Copy(good, path);
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            {
                var entry = zip.GetEntry("clamp3-pipeline.json")!;
                string json;
                using (var reader = new StreamReader(entry.Open())) json = reader.ReadToEnd();
                entry.Delete();
                using var writer = new StreamWriter(zip.CreateEntry("clamp3-pipeline.json").Open());
                writer.Write(mutate(json));
            }
            var (code, stdout, stderr) = Clamp3("transform", path, tsv, Path.Combine(tmp.Path, name + ".tsv"));
            Assert.AreEqual(CliErrors.Usage, code, $"{name}: {stdout}{stderr}");
            StringAssert.Contains(stderr, path, name);
            Assert.AreEqual(1, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, $"{name}: one line\n{stderr}");
            AssertNoStackTrace(stdout + stderr);
            Assert.IsFalse(File.Exists(Path.Combine(tmp.Path, name + ".tsv")));
        }
        var ok = Clamp3("transform", good, tsv, Path.Combine(tmp.Path, "good.tsv"));
        Assert.AreEqual(0, ok.Code, ok.Err);
    }

    [TestMethod]
    public void UsageErrorsExitWith2AndUnknownFailuresWith1()
    {
        using var tmp = TestPaths.NewTempDir();
        var (code, _, stderr) = Clamp3("embed", tmp.Path, Path.Combine(tmp.Path, "out"), "--no-such-option");
        Assert.AreEqual(CliErrors.Usage, code);
        StringAssert.Contains(stderr, "--no-such-option");
        (code, _, stderr) = Clamp3("no-such-command");
        Assert.AreEqual(CliErrors.Usage, code);
        (code, _, stderr) = Clamp3("mert", Path.Combine(tmp.Path, "missing"), Path.Combine(tmp.Path, "out"), "--model", MertFixture.Dir);
        Assert.AreEqual(CliErrors.Usage, code);
        StringAssert.Contains(stderr, "missing");
        // A query file that is a folder: a plain I/O failure, one line, exit code 1.
        (code, var stdout, stderr) = Clamp3("search", tmp.Path, tmp.Path);
        Assert.AreEqual(CliErrors.Failed, code, stdout + stderr);
        AssertNoStackTrace(stdout + stderr);
    }

    [TestMethod]
    [Timeout(120_000)]
    public void TheExecutablePrintsOneLineAndNoStackTraceInAChildProcess()
    {
        using var tmp = TestPaths.NewTempDir();
        string model = Path.Combine(tmp.Path, "broken.zip"), tsv = Path.Combine(tmp.Path, "in.tsv");
        using (var zip = ZipFile.Open(model, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("clamp3-pipeline.json").Open()))
            writer.Write("{\"format\": \"clamp3-mlnet-pip");
        File.WriteAllLines(tsv, ["Text", "A jig."]);
        var run = ChildProcess.Run(ChildProcess.Clamp3, "transform", model, tsv, Path.Combine(tmp.Path, "out.tsv"));
        string stderr = run.Error, all = run.All;
        Assert.AreEqual(CliErrors.Usage, run.Code, all);
        Assert.AreEqual(1, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, all);
        StringAssert.StartsWith(stderr, $"error: {model}: ");
        AssertNoStackTrace(all);
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }
}
