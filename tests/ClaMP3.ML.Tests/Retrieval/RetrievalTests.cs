using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Tests;

[TestClass]
public class RetrievalTests
{
    // References on the unit circle; queries chosen so that every rank can be read off the angles.
    private static readonly (string, float[])[] References =
    {
        ("a", new[] { 1f, 0f }),
        ("b", new[] { 0f, 1f }),
        ("c", new[] { -1f, 0f }),
        ("d", new[] { 0f, 1f }), // same direction as b: a tie for any query
    };

    [TestMethod]
    public void RanksMrrAndHitsFollowTheOfficialDefinition()
    {
        var queries = new (string, float[])[]
        {
            ("a", new[] { 2f, 0.1f }),   // nearest a → rank 1
            ("c", new[] { 0.1f, 1f }),   // b and d (tied) nearest, then a... c is last → rank 4
            ("b", new[] { -0.1f, 3f }),  // b and d tie at the top: official 1, pessimistic 2
            ("b", new[] { 1f, 0.2f }),   // a first, then b/d tied: official 2, pessimistic 3
            ("d", new[] { 0f, -1f }),    // a and c (0) first, then b/d tied (-1): official 3, pessimistic 4
        };
        var official = RetrievalEvaluator.Evaluate(queries, References);
        CollectionAssert.AreEqual(new[] { 1, 4, 1, 2, 3 }, official.Ranks.Select(r => r.Rank).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 4, 2, 3, 4 }, official.Ranks.Select(r => r.PessimisticRank).ToArray());
        Assert.AreEqual((1 + 0.25 + 1 + 0.5 + 1.0 / 3) / 5, official.MeanReciprocalRank, 1e-12);
        Assert.AreEqual(0.4, official.HitAt1, 1e-12);
        Assert.AreEqual(1.0, official.HitAt10, 1e-12);
        Assert.AreEqual(0.6, official.HitAt(2), 1e-12);

        var pessimistic = RetrievalEvaluator.Evaluate(queries, References, TieBreaking.Pessimistic);
        Assert.AreEqual((1 + 0.25 + 0.5 + 1.0 / 3 + 0.25) / 5, pessimistic.MeanReciprocalRank, 1e-12);
        Assert.AreEqual(0.2, pessimistic.HitAt1, 1e-12);
    }

    [TestMethod]
    public void UnmatchedKeysAndDuplicateReferencesAreErrors()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => RetrievalEvaluator.Evaluate(new[] { ("zzz", new[] { 1f, 0f }) }, References));
        StringAssert.Contains(e.Message, "'zzz'");
        var dup = References.Append(("a", new[] { 0.5f, 0.5f })).ToArray();
        var queries = References.Select(r => (r.Item1, r.Item2)).ToArray();
        e = Assert.ThrowsExactly<ArgumentException>(() => RetrievalEvaluator.Evaluate(queries, dup));
        StringAssert.Contains(e.Message, "'a'");
    }

    [TestMethod]
    public void IndexSearchReturnsTopKByCosineWithStableTies()
    {
        var index = EmbeddingIndex.Build(References);
        var hits = index.Search(new[] { 0.2f, 5f }, topK: 3);
        CollectionAssert.AreEqual(new[] { "b", "d", "a" }, hits.Select(h => h.Id).ToArray());
        Assert.AreEqual(Similarity.Cosine(new[] { 0.2f, 5f }, new[] { 1f, 0f }), hits[2].Similarity, 1e-6);
        Assert.AreEqual(4, index.Search(new[] { 1f, 1f }, topK: 100).Count, "top k is capped at the index size");
        Assert.ThrowsExactly<ArgumentException>(() => index.Search(new[] { 1f, 2f, 3f }));
    }

    [TestMethod]
    public void CosineOfZeroVectorIsZeroNotNaN()
    {
        Assert.AreEqual(0.0, Similarity.Cosine(new float[3], new[] { 1f, 2f, 3f }));
    }
}
