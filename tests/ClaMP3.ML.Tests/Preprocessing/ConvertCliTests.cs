using System.CommandLine;
using ClaMP3.Cli.Commands;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary><c>clamp3 convert</c> end to end over temporary folders: mirrored relative paths, extensions matched in any
/// case, a corrupt file reported and skipped, atomic outputs, resume, exit codes.</summary>
[TestClass]
public class ConvertCliTests
{
    private static (int ExitCode, string Stdout, string Stderr) Clamp3(params string[] args)
    {
        var root = new RootCommand("test") { new ConvertCommand().Create() };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string MtfInput(string name) => TestPaths.Fixture("preprocess", "mtf", "input", name + ".mid");
    private static string MtfExpected(string name) => TestPaths.Fixture("preprocess", "mtf", "expected", name + ".mtf");

    [TestMethod]
    public void ConvertsAFolderTreeReportsTheCorruptFileAndResumes()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(Path.Combine(input, "folk", "irish"));
        File.Copy(MtfInput("coleraine"), Path.Combine(input, "folk", "irish", "coleraine.mid"));
        File.Copy(MtfInput("oh-you-new-york-girls"), Path.Combine(input, "ny.girls.MIDI"));   // upper-case extension, dotted stem
        File.Copy(MtfInput("edge-coconut_run2-format2"), Path.Combine(input, "folk", "format2.mid"));
        byte[] truncated = File.ReadAllBytes(MtfInput("coleraine"))[..100];
        File.WriteAllBytes(Path.Combine(input, "folk", "broken.mid"), truncated);
        File.WriteAllText(Path.Combine(input, "folk", "notes.txt"), "not music");

        var (code, stdout, stderr) = Clamp3("convert", "midi2mtf", input, output, "--m3-compatible");

        Assert.AreEqual(ConvertCommand.ExitNothingConverted, code, "two files were rejected: " + stdout + stderr);
        CollectionAssert.AreEqual(File.ReadAllBytes(MtfExpected("coleraine")), File.ReadAllBytes(Path.Combine(output, "folk", "irish", "coleraine.mtf")));
        CollectionAssert.AreEqual(File.ReadAllBytes(MtfExpected("oh-you-new-york-girls")), File.ReadAllBytes(Path.Combine(output, "ny.girls.mtf")));
        Assert.IsFalse(File.Exists(Path.Combine(output, "folk", "broken.mtf")), "no output for a rejected file");
        Assert.IsFalse(File.Exists(Path.Combine(output, "folk", "format2.mtf")), "no output for a rejected file");
        StringAssert.Contains(stderr, Path.Combine(input, "folk", "broken.mid") + ": EOFError");
        StringAssert.Contains(stderr, Path.Combine(input, "folk", "format2.mid") + ": 'MidiFile' object has no attribute 'merged_track'");
        StringAssert.Contains(stdout, "2 converted, 0 already there, 0 name collisions, 2 rejected, of 4");
        Assert.AreEqual(0, Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories).Count(), "no temporary files left");
        Assert.AreEqual(2, Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Count());

        // Resume: existing outputs are not touched; a deleted one is made again.
        string coleraine = Path.Combine(output, "folk", "irish", "coleraine.mtf");
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(output, "ny.girls.mtf"), stamp);
        File.Delete(coleraine);
        (code, stdout, stderr) = Clamp3("convert", "midi2mtf", input, output, "--m3-compatible");
        Assert.AreEqual(1, code, stdout + stderr);
        StringAssert.Contains(stdout, "1 converted, 1 already there, 0 name collisions, 2 rejected");
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(Path.Combine(output, "ny.girls.mtf")), "the existing output was skipped");
        CollectionAssert.AreEqual(File.ReadAllBytes(MtfExpected("coleraine")), File.ReadAllBytes(coleraine));

        // Everything already there but the two rejected files: still exit code 1 (they still fail).
        (code, stdout, _) = Clamp3("convert", "midi2mtf", input, output, "--m3-compatible");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stdout, "0 converted, 2 already there");

        // Without the bad files everything is there: a success.
        File.Delete(Path.Combine(input, "folk", "broken.mid"));
        File.Delete(Path.Combine(input, "folk", "format2.mid"));
        (code, stdout, stderr) = Clamp3("convert", "midi2mtf", input, output, "--m3-compatible");
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stdout, "0 converted, 2 already there, 0 name collisions, 0 rejected");
    }

    [TestMethod]
    public void ExitCodesSingleFileInputAndMtf2Midi()
    {
        using var tmp = TestPaths.NewTempDir();
        string bad = Path.Combine(tmp.Path, "bad");
        Directory.CreateDirectory(bad);
        File.WriteAllBytes(Path.Combine(bad, "x.mid"), "MThd\0\0\0\x06"u8.ToArray());
        string log = Path.Combine(tmp.Path, "logs", "midi2mtf_error_log.txt");
        var (code, _, stderr) = Clamp3("convert", "midi2mtf", bad, Path.Combine(tmp.Path, "o1"), "--error-log", log);
        Assert.AreEqual(ConvertCommand.ExitNothingConverted, code, "nothing could be converted");
        StringAssert.Contains(stderr, Path.Combine(bad, "x.mid"));
        StringAssert.StartsWith(File.ReadAllText(log), Path.Combine(bad, "x.mid") + " EOFError");

        (code, _, _) = Clamp3("convert", "midi2mtf", Path.Combine(tmp.Path, "missing"), Path.Combine(tmp.Path, "o2"));
        Assert.AreEqual(ConvertCommand.ExitUsage, code);

        (code, _, _) = Clamp3("convert", "midi2mtf", Path.Combine(tmp.Path, "bad"), Path.Combine(tmp.Path, "o3"), "--no-such-option");
        Assert.AreNotEqual(0, code, "a usage error");

        // A single file as INPUT; then mtf2midi on the result gives the official roundtrip MIDI.
        string one = Path.Combine(tmp.Path, "one");
        (code, _, _) = Clamp3("convert", "midi2mtf", MtfInput("araber-tants"), one, "--m3-compatible");
        Assert.AreEqual(0, code);
        (code, var stdout, stderr) = Clamp3("convert", "mtf2midi", Path.Combine(one, "araber-tants.mtf"), Path.Combine(tmp.Path, "two"));
        Assert.AreEqual(0, code, stdout + stderr);
        CollectionAssert.AreEqual(File.ReadAllBytes(TestPaths.Fixture("preprocess", "roundtrip", "m3", "expected", "araber-tants.mid")),
            File.ReadAllBytes(Path.Combine(tmp.Path, "two", "araber-tants.mid")));
    }

    [TestMethod]
    public void EveryDiscoveredConverterIsASubcommand()
    {
        var names = FileConverterRegistry.Discover().Select(c => c.Name).ToList();
        CollectionAssert.IsSubsetOf(new[] { "midi2mtf", "mtf2midi" }, names);
        var convert = new ConvertCommand().Create();
        CollectionAssert.AreEquivalent(names, convert.Subcommands.Select(c => c.Name).ToList());
    }

    [TestMethod]
    public void PythonStemKeepsLeadingDots()
    {
        Assert.AreEqual("a.b", BatchConverter.PythonStem("a.b.mid"));
        Assert.AreEqual(".mid", BatchConverter.PythonStem(".mid"));
        Assert.AreEqual("..x", BatchConverter.PythonStem("..x.mid"));
        Assert.AreEqual("song", BatchConverter.PythonStem("song"));
    }
}
