using System.Text.Json;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Tests;

/// <summary>The JSON-lines files of <c>clamp3_eval.py</c> and <c>clamp3_score.py</c>: their names, field names and order.</summary>
[TestClass]
public class RetrievalJsonlTests
{
    private static FeatureFile F(string key, params float[] v) => new(key, "/x" + key + ".npy", v);

    private static List<JsonElement> Lines(string path) => File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [TestMethod]
    public void UnmatchedFilesListQueriesThenReferences()
    {
        using var tmp = TestPaths.NewTempDir();
        var match = FeatureMatching.Match([F("/a", 1, 0), F("/q", 0, 1)], [F("/a", 1, 0), F("/r", 1, 1)]);
        string path = RetrievalJsonl.WriteUnmatched(match, tmp.Path);
        Assert.AreEqual(Path.Combine(tmp.Path, "unmatched_files.jsonl"), path);
        var lines = Lines(path);
        Assert.AreEqual("/x/q.npy", lines[0].GetProperty("unmatched_query").GetString());
        Assert.AreEqual("/x/r.npy", lines[1].GetProperty("unmatched_reference").GetString());
        Assert.HasCount(2, lines);
    }

    [TestMethod]
    public void RanksBestFirstAndPairwiseSimilaritiesInTheGivenOrder()
    {
        using var tmp = TestPaths.NewTempDir();
        var match = FeatureMatching.Match([F("/b", 1, 0.2f), F("/a", 1, 0.1f)], [F("/a", 1, 0), F("/b", 0, 1)]);
        var ranks = Lines(RetrievalJsonl.WriteRanks(FeatureMatching.Evaluate(match), match, tmp.Path));
        CollectionAssert.AreEqual(new[] { "/x/a.npy", "/x/b.npy" }, ranks.Select(e => e.GetProperty("query").GetString()).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2 }, ranks.Select(e => e.GetProperty("rank").GetInt32()).ToArray());
        Assert.AreEqual("/x/b.npy", ranks[1].GetProperty("reference").GetString());
        Assert.IsTrue(File.Exists(Path.Combine(tmp.Path, RetrievalJsonl.RanksFileName)));

        var pairs = FeatureMatching.PairwiseSimilarities(match);
        var written = Lines(RetrievalJsonl.WritePairwise(pairs, tmp.Path));
        CollectionAssert.AreEqual(pairs.Select(p => p.Similarity).ToArray(), written.Select(e => e.GetProperty("similarity").GetDouble()).ToArray());
        Assert.IsTrue(File.Exists(Path.Combine(tmp.Path, "pairwise_similarities.jsonl")));
    }
}
