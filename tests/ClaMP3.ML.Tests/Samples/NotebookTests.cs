using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Tests;

/// <summary>
/// Runs notebooks/ClaMP3.ML-tour.ipynb headless with dotnet-repl (.ci/run installs it into .tools/) the way a user
/// does: the packages packed into a local feed (a temporary one here, under a unique prerelease version so no stale
/// copy in the NuGet cache is used) and referenced with <c>#i</c> / <c>#r "nuget: …"</c>. The notebook is run from a
/// temporary copy (the repository and ../shared may be read-only); the test checks that every cell ran and that the
/// saved outputs hold the three pictures as non-empty PNGs.
/// </summary>
[TestClass]
public class NotebookTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly string[] Figures = ["similarity-heatmap", "embedding-map", "probe-confusion-matrix"];

    [TestMethod]
    [Timeout(1_500_000)]
    public void TourNotebookRunsFromPackagesAndItsOutputsHoldThePictures()
    {
        string root = TestPaths.RepoRoot;
        string repl = Environment.GetEnvironmentVariable("CLAMP3_DOTNET_REPL") ?? Path.Combine(root, ".tools", "dotnet-repl");
        if (!File.Exists(repl)) Assert.Inconclusive($"dotnet-repl not installed at {repl} (.ci/run installs it).");
        string version = "0.2.0-nb." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using var tmp = TestPaths.NewTempDir();
        string feed = Path.Combine(tmp.Path, "feed"), figures = Path.Combine(tmp.Path, "figures"), work = Path.Combine(tmp.Path, "notebooks");
        Directory.CreateDirectory(figures);
        Directory.CreateDirectory(work);
        try
        {
            foreach (var project in new[] { "src/ClaMP3.ML", "src/ClaMP3.ML.TorchSharp" })
                Run(root, "dotnet", ["pack", project, "-c", "Release", "-o", feed, "--artifacts-path", Path.Combine(tmp.Path, "artifacts"),
                    "-p:Version=" + version, "-v", "quiet", "-nologo"], 900_000);

            var notebook = File.ReadAllText(Path.Combine(root, "notebooks", "ClaMP3.ML-tour.ipynb"));
            StringAssert.Contains(notebook, "#i \\\"nuget: ../artifacts/feed\\\"", "the notebook references the local feed the Polyglot way");
            notebook = notebook.Replace("nuget: ../artifacts/feed", "nuget: " + feed, StringComparison.Ordinal)
                .Replace("ClaMP3.ML.TorchSharp, 0.2.0", "ClaMP3.ML.TorchSharp, " + version, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(work, "tour.ipynb"), notebook);
            string output = Path.Combine(tmp.Path, "tour-run.ipynb");
            Run(work, repl, ["--run", "tour.ipynb", "--output-path", output, "--exit-after-run"], 1_200_000,
                ("CLAMP3_SHARED", TestPaths.Shared), ("CLAMP3_NOTEBOOK_FIGURES", figures));
            Assert.IsTrue(File.Exists(output), "no executed notebook was written");
            CheckOutputs(File.ReadAllText(output), figures);
        }
        finally
        {
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "clamp3.ml", "clamp3.ml.torchsharp" })
                if (Directory.Exists(Path.Combine(cache, id, version))) Directory.Delete(Path.Combine(cache, id, version), recursive: true);
        }
    }

    private static void CheckOutputs(string executed, string figures)
    {
        var cells = JsonDocument.Parse(executed).RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code").ToList();
        for (int i = 0; i < cells.Count; i++)
            foreach (var o in cells[i].GetProperty("outputs").EnumerateArray())
            {
                Assert.AreNotEqual("error", o.GetProperty("output_type").GetString(), $"code cell {i} failed: {o}");
                if (o.TryGetProperty("name", out var name) && name.GetString() == "stderr") Assert.Fail($"code cell {i} wrote to stderr: {o}");
            }
        string all = string.Join("\n", cells.SelectMany(c => c.GetProperty("outputs").EnumerateArray()).Select(o => o.ToString()));
        foreach (var figure in Figures)
        {
            // The saved output: an <img> whose data URI decodes to a PNG of some size.
            var m = Regex.Match(all, $"alt=\\\\\"{figure}\\\\\" src=\\\\\"data:image/png;base64,([A-Za-z0-9+/=]+)");
            Assert.IsTrue(m.Success, $"no saved PNG output for {figure}");
            var png = Convert.FromBase64String(m.Groups[1].Value);
            Assert.IsTrue(png.Length > 10_000 && png.AsSpan(0, 8).SequenceEqual(PngSignature), $"{figure}: {png.Length} bytes, not a real PNG");
            var file = new FileInfo(Path.Combine(figures, figure + ".png"));
            Assert.IsTrue(file.Exists && file.Length == png.Length, $"{figure}.png written beside the outputs");
        }
        StringAssert.Contains(all, "24-d shared space");
        StringAssert.Contains(all, "held-out micro accuracy");
        StringAssert.Contains(all, "RankOfOwnText");
    }

    private static void Run(string workDir, string file, string[] args, int timeoutMs, params (string Key, string Value)[] environment)
    {
        var run = ChildProcess.Run(file, args, workDir, environment.ToDictionary(e => e.Key, e => e.Value), TimeSpan.FromMilliseconds(timeoutMs));
        Assert.AreEqual(0, run.Code, $"{file} {string.Join(' ', args)}: {run.Output}\n{run.Error}");
    }
}
