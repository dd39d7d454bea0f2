
namespace ClaMP3.ML.Tests;

/// <summary>Runs the samples and the QuickStart as a user would (their Release builds, made by .ci/run), on the fixtures.</summary>
[TestClass]
public class SamplesRunTests
{
    /// <summary>Runs a sample; <paramref name="hangAfterMs"/> only guards against a hang (the work is bounded by
    /// epochs, and a loaded CI machine may take several times longer than an idle one).</summary>
    private static (int Code, string Output) Run(string project, int hangAfterMs, params string[] args)
    {
        string exe = Path.Combine(TestPaths.RepoRoot, "samples", project, "bin", "Release", "net10.0", project);
        if (!File.Exists(exe)) Assert.Inconclusive($"{exe} is not built (dotnet build ClaMP3.ML.sln -c Release).");
        var run = ChildProcess.Run(exe, args, timeout: TimeSpan.FromMilliseconds(hangAfterMs));
        return (run.Code, run.All);
    }

    [TestMethod]
    [Timeout(700_000)]
    public void EverySampleRunsOnTheFixtureModel()
    {
        var (code, output) = Run("ClaMP3.Samples", 600_000, "all");
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Text → MIDI retrieval over 31 pieces: MRR");
        StringAssert.Contains(output, "→ reel");              // zero-shot printed a label per piece
        StringAssert.Contains(output, "Major/minor probe on held-out pieces");
        StringAssert.Contains(output, "Saved a standard ML.NET model (ONNX encoder inside)");
        StringAssert.Contains(output, "(catalog: ");          // the reloaded model predicted through a PredictionEngine
    }

    [TestMethod]
    [Timeout(1_900_000)]
    public void QuickStartTrainsAndImprovesRetrieval()
    {
        // Bounded by epochs only (no wall-clock cap), in a folder of its own: a loaded machine or a second run at the
        // same time changes how long it takes, never what it computes.
        using var tmp = TestPaths.NewTempDir();
        var (code, output) = Run("QuickStart", 1_800_000, "--epochs", "60", "--output", Path.Combine(tmp.Path, "run"));
        Assert.AreEqual(0, code, output);
        var line = output.Split('\n').Single(l => l.StartsWith("Retrieval MRR (held-in", StringComparison.Ordinal));
        var numbers = System.Text.RegularExpressions.Regex.Matches(line, @"(\d+\.\d+) before → (\d+\.\d+) after");
        Assert.AreEqual(1, numbers.Count, line);
        double before = double.Parse(numbers[0].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double after = double.Parse(numbers[0].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(after > before + 0.1, $"training should lift held-in MRR well above the start: {line}");
    }
}
