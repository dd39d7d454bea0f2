using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Tests;

/// <summary>The official scripts' key pairing and group mean, moved out of the CLI.</summary>
[TestClass]
public class FeatureMatchingTests
{
    private static FeatureFile F(string key, params float[] v) => new(key, "/x" + key + ".npy", v);

    [TestMethod]
    public void FirstReferencePerKeyAndUnmatchedOnBothSides()
    {
        var queries = new[] { F("/a", 1, 0), F("/b", 0, 1), F("/q-only", 1, 1) };
        var references = new[] { F("/a", 1, 0), new FeatureFile("/a", "/x/a.2.npy", [0, 1]), F("/b", 1, 1), F("/r-only", 1, 0) };
        var match = FeatureMatching.Match(queries, references);
        CollectionAssert.AreEqual(new[] { "/a", "/b", "/r-only" }, match.References.Select(r => r.Key).ToArray());
        Assert.AreEqual("/x/a.npy", match.ReferenceOf("/a")!.Path, "the first file of a key is its reference");
        CollectionAssert.AreEqual(new[] { "/q-only" }, match.UnmatchedQueries.Select(r => r.Key).ToArray());
        CollectionAssert.AreEqual(new[] { "/r-only" }, match.UnmatchedReferences.Select(r => r.Key).ToArray());
        Assert.ThrowsExactly<InvalidDataException>(() => FeatureMatching.Evaluate(match));

        var pairs = FeatureMatching.PairwiseSimilarities(match);
        CollectionAssert.AreEqual(new[] { "/a", "/b" }, pairs.Select(p => p.Query.Key).ToArray(), "most similar first");
        Assert.AreEqual(1.0, pairs[0].Similarity, 1e-12);
        Assert.AreEqual(1 / Math.Sqrt(2), pairs[1].Similarity, 1e-7);
    }

    [TestMethod]
    public void GroupSimilarityIsTheCosineOfTheMeans()
    {
        var q = new[] { F("/1", 1, 0), F("/2", 0, 1) };       // mean (0.5, 0.5)
        var r = new[] { F("/3", 1, 0) };
        Assert.AreEqual(1 / Math.Sqrt(2), FeatureMatching.GroupSimilarity(q, r), 1e-7);
        Assert.ThrowsExactly<InvalidDataException>(() => FeatureMatching.Mean([new float[2], new float[3]]));
        var keyed = FeatureMatching.ByFileNameKey([new FeatureFile("k", "/d/song.v1.npy", [1]), new FeatureFile("k", "/d/song.v2.npy", [2])]);
        Assert.AreEqual(("song", 2f), (keyed.Single().Key, keyed.Single().Vector[0]), "a later file of the same name key replaces an earlier one");
    }

    [TestMethod]
    public void NonFiniteFeatureFilesAreRefusedNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "nan.npy");
        ClaMP3.ML.IO.NpyFile.WriteFloat32(path, [1, float.NaN], 1, 2);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => FeatureFolder.Load(tmp.Path));
        StringAssert.StartsWith(e.Message, path);
    }
}
