using ClaMP3.Cli;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.Mert;

/// <summary><c>clamp3 mert</c> over the fixture inputs: outputs equal the official files, too-short and bad files are
/// reported and skipped, reruns skip existing outputs, folder structure and extension case are handled.</summary>
[TestClass]
public class MertCommandTests
{
    /// <summary><c>clamp3 mert INPUT OUTPUT --model MODEL --batch N [--layers]</c> through the executable's entry point.</summary>
    private static int Mert(string input, string output, string model, bool layers, int batch, TextWriter stdout, TextWriter stderr) =>
        Clamp3Cli.Run(["mert", input, output, "--model", model, "--batch", batch.ToString(System.Globalization.CultureInfo.InvariantCulture), .. layers ? ["--layers"] : Array.Empty<string>()], stdout, stderr);

    private static readonly string[] Saved = { "hot24k_f32_clip", "synth16k_mono_f32", "tune24k_mono16", "tune44k_stereo16", "tune44k_stereo_mp3" };

    [TestMethod]
    public void FolderRunWritesTheOfficialFeaturesSkipsBadFilesAndResumes()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        foreach (var f in Directory.GetFiles(Path.Combine(MertFixture.Dir, "inputs")))
            File.Copy(f, Path.Combine(input, Path.GetFileName(f)));
        // A nested file with an upper-case extension, a text file named .wav, and a non-audio file that is ignored.
        File.Copy(MertFixture.Input("hot24k_f32_clip.wav"), Path.Combine(input, "sub", "Loud.WAV"));
        File.WriteAllText(Path.Combine(input, "sub", "notes.wav"), "this is not audio");
        File.WriteAllText(Path.Combine(input, "readme.txt"), "ignored");

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = Mert(input, output, MertFixture.Dir, layers: false, batch: 4, stdout, stderr);
        Console.WriteLine(stdout);
        Console.WriteLine(stderr);
        Assert.AreEqual(1, rc, "two files failed");

        double worst = 0;
        foreach (var name in Saved)
        {
            var actual = NpyFile.Read(Path.Combine(output, name + ".npy"));
            Assert.AreEqual("f4", actual.DType);
            var (e, es) = MertFixture.Npy($"{name}.mert.npy");
            worst = Math.Max(worst, MertFixture.AssertClose($"clamp3 mert {name}", e, es, actual.ToFloat32(), actual.Shape, MertFixture.Tolerance("mert")));
        }
        Console.WriteLine($"worst over the saved cases: {worst:E2}");
        var nested = NpyFile.Read(Path.Combine(output, "sub", "Loud.npy"));
        var (he, hes) = MertFixture.Npy("hot24k_f32_clip.mert.npy");
        MertFixture.AssertClose("clamp3 mert sub/Loud.WAV", he, hes, nested.ToFloat32(), nested.Shape, MertFixture.Tolerance("mert"));

        Assert.IsFalse(File.Exists(Path.Combine(output, "short24k_0p8s.npy")), "too-short audio gives no file, like the official run");
        Assert.IsFalse(File.Exists(Path.Combine(output, "sub", "notes.npy")));
        StringAssert.Contains(stderr.ToString(), "short24k_0p8s.wav");
        StringAssert.Contains(stderr.ToString(), "too short");
        StringAssert.Contains(stderr.ToString(), "notes.wav");
        StringAssert.Contains(stdout.ToString(), "6 written");
        StringAssert.Contains(stdout.ToString(), "2 failed");
        StringAssert.Contains(stdout.ToString(), "audio-s/s");
        Assert.IsFalse(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories).Any(), "no temporary files left");

        // Rerun: everything that exists is skipped, nothing is rewritten.
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(output, "tune24k_mono16.npy"));
        var again = new StringWriter();
        Assert.AreEqual(1, Mert(input, output, MertFixture.Dir, false, 4, again, new StringWriter()), "the two bad files still fail");
        StringAssert.Contains(again.ToString(), "0 written, 6 skipped");
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(Path.Combine(output, "tune24k_mono16.npy")));
    }

    [TestMethod]
    public void SingleFileWithLayersWritesEveryHiddenState()
    {
        using var tmp = TestPaths.NewTempDir();
        var stdout = new StringWriter();
        Assert.AreEqual(0, Mert(MertFixture.Input("tune44k_stereo16.wav"), tmp.Path, MertFixture.Dir, layers: true, batch: 1, stdout, new StringWriter()));
        var actual = NpyFile.Read(Path.Combine(tmp.Path, "tune44k_stereo16.npy"));
        var (e, es) = MertFixture.Npy("tune44k_stereo16.layers.npy");
        MertFixture.AssertClose("clamp3 mert --layers tune44k_stereo16", e, es, actual.ToFloat32(), actual.Shape, MertFixture.Tolerance("layers"));
    }

    [TestMethod]
    public void BadModelOrInputIsAUsageErrorWithExitCode2()
    {
        using var tmp = TestPaths.NewTempDir();
        var stderr = new StringWriter();
        Assert.AreEqual(2, Mert(MertFixture.Input("tune24k_mono16.wav"), tmp.Path, TestPaths.Fixture("clamp3-tiny"), false, 4, new StringWriter(), stderr));
        StringAssert.Contains(stderr.ToString(), "not a MERT");
        stderr = new StringWriter();
        Assert.AreEqual(2, Mert(Path.Combine(tmp.Path, "missing"), tmp.Path, MertFixture.Dir, false, 4, new StringWriter(), stderr));
        StringAssert.Contains(stderr.ToString(), "missing");
    }
}
