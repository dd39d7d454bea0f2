using ClaMP3.Cli.Commands;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.Model;

/// <summary><c>clamp3 embed</c> end to end on the clamp3-tiny inputs: outputs compared with the expected files.</summary>
[TestClass]
public class EmbedCommandTests
{
    private static string CopyInputs(string root)
    {
        var input = Path.Combine(root, "in");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Clamp3Fixture.Dir, "inputs"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(input, Path.GetRelativePath(Path.Combine(Clamp3Fixture.Dir, "inputs"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return input;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = new EmbedCommand().Create().Parse(args).Invoke();
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    private static string[] Args(string input, string output, bool global) =>
        new[] { input, output, "--checkpoint", Clamp3Fixture.Checkpoint, "--config", Clamp3Fixture.Config, "--tokenizer", Clamp3Fixture.Tokenizer, "--batch-size", "4" }
            .Concat(global ? new[] { "--global" } : Array.Empty<string>()).ToArray();

    [TestMethod]
    public void GlobalAndSequenceOutputsMatchTheFixtureAndBadFilesAreSkipped()
    {
        using var dir = TestPaths.NewTempDir();
        var input = CopyInputs(dir.Path);
        File.WriteAllBytes(Path.Combine(input, "text", "latin1.txt"), new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9 });
        NpyFile.WriteFloat32(Path.Combine(input, "audio", "rank1.npy"), new float[32], 32);
        NpyFile.WriteFloat32(Path.Combine(input, "audio", "narrow.npy"), new float[5 * 16], 1, 5, 16);
        File.WriteAllText(Path.Combine(input, "notes.md"), "ignored");

        foreach (var global in new[] { true, false })
        {
            var output = Path.Combine(dir.Path, global ? "global" : "seq");
            var (code, stdout, stderr) = Run(Args(input, output, global));
            Assert.AreEqual(1, code, "three files failed: " + stderr);
            StringAssert.Contains(stdout, "Found 31 files");
            StringAssert.Contains(stdout, "28 embedded, 0 skipped, 3 failed");
            foreach (var bad in new[] { "latin1.txt", "rank1.npy", "narrow.npy" })
                StringAssert.Contains(stderr, Path.Combine(input, bad.EndsWith(".txt") ? "text" : "audio", bad));
            StringAssert.Contains(stderr, "UTF-8");

            var comparison = new Clamp3Fixture.Comparison();
            foreach (var c in Clamp3Fixture.Cases)
            {
                var file = Path.Combine(output, c.Input["inputs/".Length..]);
                file = Path.ChangeExtension(file, ".npy");
                var actual = NpyFile.Read(file);
                var expected = Clamp3Fixture.Expected(c, global ? "global" : "seq");
                CollectionAssert.AreEqual(new long[] { 1 }.Concat(expected.Shape).ToArray(), actual.Shape, $"{c}: shape");
                Assert.AreEqual("f4", actual.DType);
                comparison.Add(c.ToString(), expected.ToFloat32(), actual.ToFloat32());
            }
            Assert.AreEqual(28, Directory.GetFiles(output, "*.npy", SearchOption.AllDirectories).Length);
            comparison.AssertAll(global ? "clamp3 embed --global" : "clamp3 embed");
        }

        // Resume: every output exists, nothing is recomputed or rewritten.
        var resumedOutput = Path.Combine(dir.Path, "global");
        var before = Directory.GetFiles(resumedOutput, "*.npy", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = Run(Args(input, resumedOutput, true));
        Assert.AreEqual(1, again.Code, "the three bad files still fail");
        StringAssert.Contains(again.Out, "0 embedded, 28 skipped, 3 failed");
        foreach (var (file, time) in before) Assert.AreEqual(time, File.GetLastWriteTimeUtc(file), file);
    }

    [TestMethod]
    public void SingleFileInputWritesOneOutput()
    {
        using var dir = TestPaths.NewTempDir();
        var c = Clamp3Fixture.Cases.First(x => x.Name == "one_over");
        var output = Path.Combine(dir.Path, "out");
        var (code, _, stderr) = Run(Args(Clamp3Fixture.PathOf(c.Input), output, true));
        Assert.AreEqual(0, code, stderr);
        var actual = NpyFile.Read(Path.Combine(output, "one_over.npy"));
        var comparison = new Clamp3Fixture.Comparison();
        comparison.Add(c.ToString(), Clamp3Fixture.Expected(c, "global").ToFloat32(), actual.ToFloat32());
        comparison.AssertAll("single file");
    }

    [TestMethod]
    public void NothingSucceedingOrBadUsageGivesANonZeroExitCode()
    {
        using var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir.Path, "in");
        Directory.CreateDirectory(input);
        File.WriteAllBytes(Path.Combine(input, "bad.txt"), new byte[] { 0xFF, 0xFE, 0x00 });
        var (code, _, stderr) = Run(Args(input, Path.Combine(dir.Path, "out"), true));
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "bad.txt");

        Assert.AreNotEqual(0, Run(Args(Path.Combine(dir.Path, "missing"), Path.Combine(dir.Path, "out"), true)).Code);
        var mert = Run(new[] { input, Path.Combine(dir.Path, "out"), "--checkpoint", TestPaths.Fixture("mert-tiny", "pytorch_model.bin") });
        Assert.AreEqual(2, mert.Code);
        StringAssert.Contains(mert.Err, "not a CLaMP 3 checkpoint");
        Assert.AreNotEqual(0, Run(new[] { input }).Code);
    }

    [TestMethod]
    public void BarlessAbcIsEmbeddedWithAWarningNamingTheFile()
    {
        using var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir.Path, "in");
        Directory.CreateDirectory(input);
        File.WriteAllText(Path.Combine(input, "nobars.abc"), "X:1\nT:No bars\nK:G\nABcd efga\n");
        var (code, _, stderr) = Run(Args(input, Path.Combine(dir.Path, "out"), false));
        Assert.AreEqual(0, code, stderr);
        StringAssert.Contains(stderr, "warning: " + Path.Combine(input, "nobars.abc"));
        CollectionAssert.AreEqual(new long[] { 1, 5, 32 }, NpyFile.Read(Path.Combine(dir.Path, "out", "nobars.npy")).Shape);
    }
}
