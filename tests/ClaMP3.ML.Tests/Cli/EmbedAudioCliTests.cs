using ClaMP3.Cli;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests;

/// <summary><c>clamp3 embed --mert</c>: audio files go through MERT and the CLaMP 3 audio encoder in one run, and give
/// what embedding the official MERT feature files gives.</summary>
[TestClass]
public class EmbedAudioCliTests
{
    [TestMethod]
    public void AudioFilesEmbedLikeTheirOfficialMertFeatures()
    {
        using var tmp = TestPaths.NewTempDir();
        string audioDir = Path.Combine(tmp.Path, "audio"), mertDir = Path.Combine(tmp.Path, "mert");
        Directory.CreateDirectory(audioDir);
        Directory.CreateDirectory(mertDir);
        var cases = new[] { "tune24k_mono16", "tune44k_stereo16" };
        foreach (var name in cases)
        {
            var input = Directory.GetFiles(TestPaths.Fixture("mert-tiny", "inputs"), name + ".*").Single();
            File.Copy(input, Path.Combine(audioDir, Path.GetFileName(input)));
            File.Copy(TestPaths.Fixture("mert-tiny", "expected", name + ".mert.npy"), Path.Combine(mertDir, name + ".npy"));
        }
        // A file that is too short for MERT is reported and skipped; the run goes on.
        File.Copy(Directory.GetFiles(TestPaths.Fixture("mert-tiny", "inputs"), "short24k_0p8s.*").Single(), Path.Combine(audioDir, "short.wav"));

        string checkpoint = TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth"), config = TestPaths.Fixture("clamp3-tiny", "config.json");
        var stderr = new StringWriter();
        string[] model = ["--checkpoint", checkpoint, "--config", config, "--global", "--batch-size", "4"];
        int code = Clamp3Cli.Run(["embed", audioDir, Path.Combine(tmp.Path, "out-audio"), .. model, "--mert", TestPaths.Fixture("mert-tiny")], TextWriter.Null, stderr);
        Assert.AreEqual(1, code, "short.wav failed: " + stderr);
        StringAssert.Contains(stderr.ToString(), "short.wav");
        Assert.AreEqual(0, Clamp3Cli.Run(["embed", mertDir, Path.Combine(tmp.Path, "out-mert"), .. model], TextWriter.Null, TextWriter.Null));

        foreach (var name in cases)
        {
            var fromAudio = NpyFile.Read(Path.Combine(tmp.Path, "out-audio", name + ".npy")).ToFloat32();
            var fromMert = NpyFile.Read(Path.Combine(tmp.Path, "out-mert", name + ".npy")).ToFloat32();
            Assert.AreEqual(fromMert.Length, fromAudio.Length);
            double worst = fromAudio.Zip(fromMert, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsTrue(worst <= 1e-4, $"{name}: worst difference {worst:G3} between audio → MERT → CLaMP 3 and the official MERT file → CLaMP 3");
        }
        Assert.IsFalse(File.Exists(Path.Combine(tmp.Path, "out-audio", "short.npy")));
    }
}
