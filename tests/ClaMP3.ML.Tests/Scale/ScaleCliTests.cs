using System.CommandLine;
using ClaMP3.Cli;
using ClaMP3.Cli.Commands;
using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Tests;

[TestClass]
public class ScaleCliTests
{
    private static (int Code, string Output, string Error) Run(ICliCommand factory, params string[] args)
    {
        var root = new RootCommand { factory.Create() };
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
            return (code, output.ToString(), error.ToString());
        }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    private static string Tiny(params string[] parts) => TestPaths.Fixture(new[] { "clamp3-tiny" }.Concat(parts).ToArray());

    [TestMethod]
    public void BadShardSpecsAreOneLineUsageErrors()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var spec in new[] { "5/4", "-1/4", "0/0" })
        {
            var runs = new[]
            {
                Run(new EmbedCommand(), "embed", Tiny("inputs", "abc"), tmp.Path, "--checkpoint", Tiny("clamp3_tiny.pth"), "--shard", spec),
                Run(new MertCommand(), "mert", tmp.Path, tmp.Path, "--model", tmp.Path, "--shard", spec),
                Run(new ConvertCommand(), "convert", "abc2interleaved", Tiny("inputs", "abc"), tmp.Path, "--shard", spec),
            };
            foreach (var (code, _, error) in runs)
            {
                Assert.AreEqual(2, code, $"{spec}: {error}");
                Assert.AreEqual(1, error.Trim().Split('\n').Length, $"{spec}: one line: {error}");
                StringAssert.Contains(error, spec);
            }
        }
        Assert.AreEqual(0, Directory.GetFileSystemEntries(tmp.Path).Length, "nothing written");
    }

    [TestMethod]
    public void ConvertShardsCoverEveryFileOnce()
    {
        using var tmp = TestPaths.NewTempDir();
        string all = Path.Combine(tmp.Path, "all"), parts = Path.Combine(tmp.Path, "parts");
        var full = Run(new ConvertCommand(), "convert", "abc2interleaved", Tiny("inputs", "abc"), all);
        Assert.AreEqual(full.Error.Contains("rejected: ") ? 1 : 0, full.Code, full.Error);
        var sorted = Directory.GetFiles(Tiny("inputs", "abc"), "*.abc").Order(StringComparer.Ordinal).ToList();
        for (int s = 0; s < 3; s++)
        {
            // A shard task fails (exit 1) exactly when one of its files is rejected, so that a scheduler sees it; a rejected
            // file never fails another shard.
            bool anyRejected = new ShardSpec(s, 3).Select(sorted).Any(f => full.Error.Contains(f, StringComparison.Ordinal));
            var run = Run(new ConvertCommand(), "convert", "abc2interleaved", Tiny("inputs", "abc"), parts, "--shard", $"{s}/3");
            Assert.AreEqual(anyRejected ? 1 : 0, run.Code, $"shard {s}/3: {run.Error}");
        }
        var expected = Directory.GetFiles(all).Select(Path.GetFileName).Order().ToArray();
        CollectionAssert.AreEqual(expected, Directory.GetFiles(parts).Select(Path.GetFileName).Order().ToArray());
        foreach (var name in expected)
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(all, name!)), File.ReadAllBytes(Path.Combine(parts, name!)));
    }

    [TestMethod]
    public void IndexBuildThenSearchByIndexAndByFolderAgree()
    {
        using var tmp = TestPaths.NewTempDir();
        string features = Path.Combine(tmp.Path, "features");
        var gen = new ClusteredVectors(5, 16, 4);
        var v = new float[16];
        for (int i = 0; i < 30; i++) { gen.Item(i, v); NpyFile.WriteFloat32(Path.Combine(features, $"piece{i:D2}.npy"), v, 1, 16); }
        gen.Query(0, v);
        string query = Path.Combine(tmp.Path, "query.npy");
        NpyFile.WriteFloat32(query, v, 1, 16);
        string index = Path.Combine(tmp.Path, "pieces.c3index");

        var build = Run(new IndexCommand(), "index", "build", features, index, "--ann");
        Assert.AreEqual(0, build.Code, build.Error);
        StringAssert.Contains(build.Output, "Indexed 30 vectors of 16");
        Assert.IsTrue(File.Exists(VectorIndex.GraphPath(index)));

        var byFolder = Run(new SearchCommand(), "search", query, features, "--top-k", "5");
        var byIndex = Run(new SearchCommand(), "search", query, index, "--top-k", "5", "--exact");
        var byGraph = Run(new SearchCommand(), "search", query, index, "--top-k", "5");
        Assert.AreEqual(0, byFolder.Code, byFolder.Error);
        var folderLines = byFolder.Output.Trim().Split('\n').Skip(1).ToArray();
        var indexLines = byIndex.Output.Trim().Split('\n').Skip(1).Select(l => l.TrimStart('/')).ToArray(); // index keys carry the relative folder
        CollectionAssert.AreEqual(folderLines, indexLines);
        CollectionAssert.AreEqual(byIndex.Output.Trim().Split('\n'), byGraph.Output.Trim().Split('\n'), "30 items: the graph finds the exact top 5");

        // Bad input: a query of another dimension, a truncated index.
        NpyFile.WriteFloat32(query, new float[8], 1, 8);
        var wrong = Run(new SearchCommand(), "search", query, index);
        Assert.AreEqual(1, wrong.Code);
        StringAssert.Contains(wrong.Error, index);
        var bytes = File.ReadAllBytes(index);
        File.WriteAllBytes(index, bytes[..^7]);
        var truncated = Run(new SearchCommand(), "search", query, index);
        Assert.AreEqual(1, truncated.Code);
        StringAssert.Contains(truncated.Error, index);
        Assert.AreEqual(1, truncated.Error.Trim().Split('\n').Length, truncated.Error);
    }

    [TestMethod]
    public void FmdPrintsTheDistanceAndRefusesTooFewItems()
    {
        using var tmp = TestPaths.NewTempDir();
        string a = Path.Combine(tmp.Path, "a"), b = Path.Combine(tmp.Path, "b");
        var gen = new ClusteredVectors(1, 6, 2);
        var v = new float[6];
        for (int i = 0; i < 12; i++)
        {
            gen.Item(i, v); NpyFile.WriteFloat32(Path.Combine(a, $"x{i}.npy"), v, 1, 6);
            gen.Query(i, v); NpyFile.WriteFloat32(Path.Combine(b, $"y{i}.npy"), v, 1, 6);
        }
        var run = Run(new FmdCommand(), "fmd", a, b);
        Assert.AreEqual(0, run.Code, run.Error);
        double fmd = double.Parse(run.Output.Trim().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(ClaMP3.ML.Evaluation.FrechetDistance.Compute(a, b), fmd);
        double same = double.Parse(Run(new FmdCommand(), "fmd", a, a).Output.Trim().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(same < 1e-9, $"a set against itself: {same}");

        string one = Path.Combine(tmp.Path, "one");
        NpyFile.WriteFloat32(Path.Combine(one, "z.npy"), v, 1, 6);
        var bad = Run(new FmdCommand(), "fmd", a, one);
        Assert.AreEqual(1, bad.Code);
        StringAssert.Contains(bad.Error, one);
    }
}
