using System.CommandLine;
using System.Text.Json;
using ClaMP3.Cli;
using ClaMP3.Cli.Commands;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests;

[TestClass]
public class RetrievalCliTests
{
    private static int Run(ICliCommand factory, params string[] args)
    {
        var root = new RootCommand { factory.Create() };
        return root.Parse(args).Invoke();
    }

    private static void Save(string path, params float[] v)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NpyFile.WriteFloat32(path, v, 1, v.Length);
    }

    [TestMethod]
    public void EvalWritesRanksLikeTheOfficialScriptAndRejectsUnmatchedKeys()
    {
        using var tmp = TestPaths.NewTempDir();
        string q = Path.Combine(tmp.Path, "q"), r = Path.Combine(tmp.Path, "r"), o = Path.Combine(tmp.Path, "out");
        Save(Path.Combine(r, "set", "a.npy"), 1, 0);
        Save(Path.Combine(r, "set", "b.npy"), 0, 1);
        Save(Path.Combine(r, "set", "c.npy"), -1, 0);
        Save(Path.Combine(q, "set", "a.npy"), 1, 0.1f);   // rank 1
        Save(Path.Combine(q, "set", "b.npy"), 1, 0.2f);   // a is nearer: rank 2
        Save(Path.Combine(q, "set", "c.npy"), 0.1f, 1);   // b, then a, then c: rank 3
        Assert.AreEqual(0, Run(new EvalCommand(), "eval", q, r, "--output-dir", o));
        var ranks = File.ReadAllLines(Path.Combine(o, "retrieval_ranks.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, ranks.Select(e => e.GetProperty("rank").GetInt32()).ToArray());
        StringAssert.EndsWith(ranks[2].GetProperty("query").GetString(), Path.Combine("set", "c.npy"));

        Save(Path.Combine(q, "set", "d.npy"), 1, 1);
        Assert.AreEqual(1, Run(new EvalCommand(), "eval", q, r, "--output-dir", o));
        StringAssert.Contains(File.ReadAllText(Path.Combine(o, "unmatched_files.jsonl")), "d.npy");
    }

    [TestMethod]
    public void SearchPrintsTopKAndRejectsSequenceFeatures()
    {
        using var tmp = TestPaths.NewTempDir();
        Save(Path.Combine(tmp.Path, "refs", "x.npy"), 1, 0);
        Save(Path.Combine(tmp.Path, "refs", "y.npy"), 0, 1);
        Save(Path.Combine(tmp.Path, "query.npy"), 0.2f, 1);
        var writer = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(writer);
        try
        {
            Assert.AreEqual(0, Run(new SearchCommand(), "search", Path.Combine(tmp.Path, "query.npy"), Path.Combine(tmp.Path, "refs"), "--top-k", "1"));
        }
        finally
        {
            Console.SetOut(previous);
        }
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("Top 1 results among 2 candidates:", lines[0]);
        Assert.AreEqual($"y {Math.Round(1 / Math.Sqrt(1.04), 4).ToString(System.Globalization.CultureInfo.InvariantCulture)}", lines[1]);

        NpyFile.WriteFloat32(Path.Combine(tmp.Path, "refs", "seq.npy"), new float[6], 1, 3, 2);
        Assert.AreEqual(1, Run(new SearchCommand(), "search", Path.Combine(tmp.Path, "query.npy"), Path.Combine(tmp.Path, "refs")));
    }
}
