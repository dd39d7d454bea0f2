using System.Diagnostics;
using System.Text.Json;

namespace ClaMP3.ML.Tests;

/// <summary>Runs the notebooks headless with dotnet-repl (installed by .ci/run into .tools/) and checks every cell ran.</summary>
[TestClass]
public class NotebookTests
{
    [TestMethod]
    [Timeout(900_000)]
    public void TourNotebookRunsEveryCellWithoutErrors()
    {
        string root = TestPaths.RepoRoot;
        string repl = Environment.GetEnvironmentVariable("CLAMP3_DOTNET_REPL") ?? Path.Combine(root, ".tools", "dotnet-repl");
        if (!File.Exists(repl)) Assert.Inconclusive($"dotnet-repl not installed at {repl} (.ci/run installs it).");
        if (!File.Exists(Path.Combine(root, "samples", "ClaMP3.Samples", "bin", "Release", "net10.0", "ClaMP3.ML.dll")))
            Assert.Inconclusive("samples/ClaMP3.Samples is not built in Release (dotnet build samples/ClaMP3.Samples -c Release).");
        using var tmp = TestPaths.NewTempDir();
        string output = Path.Combine(tmp.Path, "tour.ipynb");
        var start = new ProcessStartInfo(repl)
        {
            WorkingDirectory = Path.Combine(root, "notebooks"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--run", "ClaMP3.ML-tour.ipynb", "--output-path", output, "--exit-after-run" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(840_000), "the notebook did not finish in 14 minutes");
        Assert.IsTrue(File.Exists(output), $"no executed notebook was written; stderr: {stderr.Result}");

        var cells = JsonDocument.Parse(File.ReadAllText(output)).RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code").ToList();
        for (int i = 0; i < cells.Count; i++)
        {
            foreach (var o in cells[i].GetProperty("outputs").EnumerateArray())
            {
                string kind = o.GetProperty("output_type").GetString()!;
                Assert.AreNotEqual("error", kind, $"code cell {i} failed: {o}");
                if (o.TryGetProperty("name", out var name) && name.GetString() == "stderr")
                    Assert.Fail($"code cell {i} wrote to stderr: {o}");
            }
        }
        string all = string.Join("\n", cells.SelectMany(c => c.GetProperty("outputs").EnumerateArray()).Select(o => o.ToString()));
        StringAssert.Contains(all, "1 × 24 global text embedding");
        StringAssert.Contains(all, "MRR:");
        StringAssert.Contains(all, "held-out micro accuracy");
    }
}
