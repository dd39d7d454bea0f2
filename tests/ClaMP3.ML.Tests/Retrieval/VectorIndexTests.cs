using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Tests;

[TestClass]
public class VectorIndexTests
{
    private static float[][] Clustered(int n, int dim, ulong seed = 7, int clusters = 20, bool queries = false)
    {
        var gen = new ClusteredVectors(seed, dim, clusters, 0.5);
        return Enumerable.Range(0, n).Select(i => { var v = new float[dim]; if (queries) gen.Query(i, v); else gen.Item(i, v); return v; }).ToArray();
    }

    private static string Write(string path, float[][] vectors, HnswBuildOptions? graph = null, VectorElement element = VectorElement.Float32)
    {
        using var writer = new VectorIndexWriter(path, vectors[0].Length, element);
        for (int i = 0; i < vectors.Length; i++) writer.Add($"/item{i:D5}", vectors[i]);
        writer.Complete(graph);
        return path;
    }

    /// <summary>The reference: every cosine in float64 (Similarity.Cosine), fully sorted, ties by row.</summary>
    private static int[] BruteForce(float[][] items, float[] query, int k) =>
        Enumerable.Range(0, items.Length).Select(i => (i, s: Similarity.Cosine(items[i], query)))
            .OrderByDescending(p => p.s).ThenBy(p => p.i).Take(k).Select(p => p.i).ToArray();

    [TestMethod]
    public void ExactSearchMatchesAFullSortInFloat64()
    {
        using var tmp = TestPaths.NewTempDir();
        var items = Clustered(3000, 37); // 37: exercises the vector tail
        var queries = Clustered(9, 37, queries: true); // 9: two tiles of four and a single query
        using var index = VectorIndex.Open(Write(Path.Combine(tmp.Path, "x.c3index"), items));
        var hits = index.SearchExactBatch(queries, 10);
        double worst = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            CollectionAssert.AreEqual(BruteForce(items, queries[q], 10), hits[q].Select(h => h.Row).ToArray(), $"query {q}");
            foreach (var h in hits[q])
            {
                worst = Math.Max(worst, Math.Abs(h.Similarity - Similarity.Cosine(items[h.Row], queries[q])));
                Assert.AreEqual($"/item{h.Row:D5}", h.Key);
            }
        }
        Assert.IsTrue(worst < 1e-5, $"worst similarity difference {worst}");
    }

    [TestMethod]
    public void TopKKeepsTheBestWithTiesInRowOrder()
    {
        var rng = new SplitMix64(3);
        var scores = Enumerable.Range(0, 5000).Select(_ => (float)(rng.Next() % 50)).ToArray(); // many ties
        var heap = new TopK(17);
        for (int i = 0; i < scores.Length; i++) heap.Add(scores[i], i);
        var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(17).ToArray();
        CollectionAssert.AreEqual(expected, heap.ToSorted().Select(p => p.Row).ToArray());
    }

    [TestMethod]
    public void ReopenedIndexKeepsKeysAndUnitVectorsAndFloat16IsClose()
    {
        using var tmp = TestPaths.NewTempDir();
        var items = Clustered(200, 24);
        items[5] = new float[24]; // a zero vector stays zero (no NaN)
        using var f32 = VectorIndex.Open(Write(Path.Combine(tmp.Path, "a.c3index"), items));
        using var f16 = VectorIndex.Open(Write(Path.Combine(tmp.Path, "b.c3index"), items, element: VectorElement.Float16));
        Assert.AreEqual(200, f32.Count);
        Assert.AreEqual(24, f32.Dimension);
        double worst = 0;
        for (int i = 0; i < items.Length; i++)
        {
            var unit = Similarity.Normalize(items[i]);
            CollectionAssert.AreEqual(unit, f32.GetVector(i), $"row {i}");
            var half = f16.GetVector(i);
            for (int d = 0; d < 24; d++) worst = Math.Max(worst, Math.Abs(half[d] - unit[d]));
        }
        Assert.IsTrue(worst < 1e-3, $"float16 worst difference {worst}");
        Assert.AreEqual(0f, f32.GetVector(5).Max());
        var q = Clustered(1, 24, queries: true)[0];
        CollectionAssert.AreEqual(f32.SearchExact(q, 5).Select(h => h.Row).Take(3).ToArray(), f16.SearchExact(q, 5).Select(h => h.Row).Take(3).ToArray());
    }

    [TestMethod]
    public void HnswIndexReachesRecallAndRescoresExactly()
    {
        using var tmp = TestPaths.NewTempDir();
        var items = Clustered(6000, 48, clusters: 30);
        var queries = Clustered(50, 48, clusters: 30, queries: true);
        using var index = VectorIndex.Open(Write(Path.Combine(tmp.Path, "ann.c3index"), items, new HnswBuildOptions { Threads = 2 }));
        Assert.IsTrue(index.HasGraph);
        Assert.IsTrue(File.Exists(VectorIndex.GraphPath(index.Path)));
        var exact = index.SearchExactBatch(queries, 10);
        double recall = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var approx = index.Search(queries[q], 10);
            recall += approx.Count(h => exact[q].Any(e => e.Row == h.Row)) / 10.0;
            foreach (var h in approx) // candidates are re-scored from the float32 matrix, not the graph's float16 distances
                Assert.AreEqual(index.SearchExact(queries[q], 6000).First(e => e.Row == h.Row).Similarity, h.Similarity, 1e-6);
        }
        recall /= queries.Length;
        Assert.IsTrue(recall >= 0.95, $"recall@10 {recall}");
        // Exact on request, even with a graph.
        CollectionAssert.AreEqual(exact[0].Select(h => h.Row).ToArray(),
            index.Search(queries[0], 10, new VectorSearchOptions { Approximate = false }).Select(h => h.Row).ToArray());
    }

    [TestMethod]
    public void TruncatedOrOtherDimensionIndexesAreRefusedNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Write(Path.Combine(tmp.Path, "full.c3index"), Clustered(100, 16));
        string cut = Path.Combine(tmp.Path, "cut.c3index");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 10)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => VectorIndex.Open(cut));
        StringAssert.Contains(e.Message, cut);
        StringAssert.Contains(e.Message, "truncated");
        File.WriteAllBytes(cut, bytes[..100]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => VectorIndex.Open(cut)).Message, cut);

        e = Assert.ThrowsExactly<InvalidDataException>(() => VectorIndex.Open(path, expectedDimension: 768));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "16");
        using var index = VectorIndex.Open(path);
        var q = Assert.ThrowsExactly<ArgumentException>(() => index.Search(new float[768], 3));
        StringAssert.Contains(q.Message, path);
    }

    [TestMethod]
    public void AMissingOrTruncatedGraphIsRefusedNamingIt()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Write(Path.Combine(tmp.Path, "g.c3index"), Clustered(300, 16), new HnswBuildOptions { Threads = 1 });
        string graph = VectorIndex.GraphPath(path);
        var bytes = File.ReadAllBytes(graph);
        File.WriteAllBytes(graph, bytes[..(bytes.Length / 2)]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => VectorIndex.Open(path)).Message, graph);
        File.Delete(graph);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => VectorIndex.Open(path)).Message, graph);
    }

    [TestMethod]
    public void ACrashedBuildLeavesOnlyTemporariesTheCleanupRecognises()
    {
        using var tmp = TestPaths.NewTempDir();
        string dir = Path.Combine(tmp.Path, "index"), path = Path.Combine(dir, "x.c3index"), graph = VectorIndex.GraphPath(path);
        Write(path, Clustered(40, 8), new HnswBuildOptions { Threads = 1 }); // an earlier build, to be kept
        var (oldIndex, oldGraph) = (File.ReadAllBytes(path), File.ReadAllBytes(graph));
        string[] temporaries = [];
        using (var writer = new VectorIndexWriter(path, 8))
        {
            var rows = Clustered(60, 8, seed: 11);
            for (int i = 0; i < rows.Length; i++) writer.Add($"/new{i}", rows[i]);
            // Killed with both files finished but not yet moved: note what it would leave, then fail.
            writer.BeforeCommit = () =>
            {
                temporaries = Directory.GetFiles(dir, ".*.tmp").Select(f => Path.GetFileName(f)!).ToArray();
                throw new IOException("killed");
            };
            Assert.ThrowsExactly<IOException>(() => writer.Complete(new HnswBuildOptions { Threads = 1 }));
        }
        // The failed build removed its own temporaries and left the earlier index and graph as they were.
        CollectionAssert.AreEquivalent(new[] { path, graph }, Directory.GetFiles(dir));
        CollectionAssert.AreEqual(oldIndex, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(oldGraph, File.ReadAllBytes(graph));

        // A killed build leaves those files: one for the index, one for its graph, both mapped back and cleaned.
        string crashed = Path.Combine(tmp.Path, "crashed");
        Directory.CreateDirectory(crashed);
        foreach (var name in temporaries) File.WriteAllText(Path.Combine(crashed, name), "x");
        File.WriteAllText(Path.Combine(crashed, "notes.tmp"), "x");
        string crashedIndex = Path.Combine(crashed, "x.c3index");
        CollectionAssert.AreEquivalent(new[] { crashedIndex, VectorIndex.GraphPath(crashedIndex) },
            temporaries.Select(n => AtomicFile.TargetOfTemporary(Path.Combine(crashed, n))).ToArray());
        Assert.AreEqual(2, FileBatch.RemoveStaleTemporaries(crashed, new[] { crashedIndex, VectorIndex.GraphPath(crashedIndex) }));
        CollectionAssert.AreEqual(new[] { Path.Combine(crashed, "notes.tmp") }, Directory.GetFiles(crashed));
    }

    [TestMethod]
    public void ARebuildWithoutAGraphDeletesTheStaleOne()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Write(Path.Combine(tmp.Path, "s.c3index"), Clustered(40, 8), new HnswBuildOptions { Threads = 1 });
        Assert.IsTrue(File.Exists(VectorIndex.GraphPath(path)));
        Write(path, Clustered(30, 8, seed: 5));
        Assert.IsFalse(File.Exists(VectorIndex.GraphPath(path)), "the earlier build's graph is gone");
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(tmp.Path), "no temporary left");
        using var index = VectorIndex.Open(path);
        Assert.IsFalse(index.HasGraph);
        Assert.AreEqual(30, index.Count);
    }

    [TestMethod]
    public void EmbeddingIndexSavedAndReopenedSearchesLikeTheInMemoryOne()
    {
        using var tmp = TestPaths.NewTempDir();
        var items = Clustered(500, 12);
        var memory = EmbeddingIndex.Build(items.Select((v, i) => ($"id{i}", v)));
        string path = Path.Combine(tmp.Path, "e.c3index");
        memory.Save(path);
        using var opened = EmbeddingIndex.Open(path);
        Assert.AreEqual(memory.Count, opened.Count);
        CollectionAssert.AreEqual(memory.Ids.ToArray(), opened.Ids.ToArray());
        var q = Clustered(1, 12, queries: true)[0];
        var a = memory.Search(q, 7);
        var b = opened.Search(q, 7);
        CollectionAssert.AreEqual(a.Select(h => h.Id).ToArray(), b.Select(h => h.Id).ToArray());
        for (int i = 0; i < a.Count; i++) Assert.AreEqual(a[i].Similarity, b[i].Similarity, 1e-6);
        Assert.ThrowsExactly<InvalidOperationException>(() => opened.Add("new", q));
    }

    [TestMethod]
    public void MergedShardsEqualAFolderBuildByteForByte()
    {
        using var tmp = TestPaths.NewTempDir();
        string features = Path.Combine(tmp.Path, "features");
        var items = Clustered(41, 10);
        var files = new List<string>();
        for (int i = 0; i < items.Length; i++)
        {
            string file = Path.Combine(features, i % 3 == 0 ? "sub" : "", $"f{i:D3}.npy");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            NpyFile.WriteFloat32(file, items[i], 1, 10);
            files.Add(file);
        }
        string single = Path.Combine(tmp.Path, "single.c3index");
        var report = VectorIndexBuilder.Build(new[] { features }, single);
        Assert.AreEqual(41, report.Rows);

        string shards = Path.Combine(tmp.Path, "shards");
        var sorted = files.Order(StringComparer.Ordinal).ToList();
        for (int s = 0; s < 4; s++)
            VectorIndexBuilder.WriteShard(features, new ShardSpec(s, 4).Select(sorted), 10, Path.Combine(shards, VectorIndexBuilder.ShardFileName(s, 4)));
        string merged = Path.Combine(tmp.Path, "merged.c3index");
        Assert.AreEqual(4, VectorIndexBuilder.Build(new[] { shards }, merged).Shards);
        CollectionAssert.AreEqual(File.ReadAllBytes(single), File.ReadAllBytes(merged));

        File.Delete(Path.Combine(shards, VectorIndexBuilder.ShardFileName(2, 4)));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => VectorIndexBuilder.Build(new[] { shards }, merged));
        StringAssert.Contains(e.Message, "2/4");
        StringAssert.Contains(e.Message, VectorIndexBuilder.ShardFileName(2, 4));
    }

    [TestMethod]
    public void ShardsOfAnotherDimensionAreRefusedNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        string shards = Path.Combine(tmp.Path, "shards");
        Write(Path.Combine(shards, VectorIndexBuilder.ShardFileName(0, 2)), Clustered(5, 8));
        string odd = Write(Path.Combine(shards, VectorIndexBuilder.ShardFileName(1, 2)), Clustered(5, 9, seed: 9));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => VectorIndexBuilder.Build(new[] { shards }, Path.Combine(tmp.Path, "m.c3index")));
        StringAssert.Contains(e.Message, odd);
    }

    [TestMethod]
    public void ShardSpecSlicesRoundRobinAndRejectsBadSpecs()
    {
        var items = Enumerable.Range(0, 10).ToList();
        Assert.IsTrue(ShardSpec.TryParse("1/4", out var spec, out _));
        CollectionAssert.AreEqual(new[] { 1, 5, 9 }, spec.Select(items));
        var all = Enumerable.Range(0, 4).SelectMany(i => new ShardSpec(i, 4).Select(items)).Order().ToList();
        CollectionAssert.AreEqual(items, all, "every item exactly once");
        foreach (var bad in new[] { "5/4", "-1/4", "0/0", "4/4", "1", "a/b", "1/2/3", "" })
        {
            Assert.IsFalse(ShardSpec.TryParse(bad, out _, out var error), bad);
            Assert.IsFalse(error.Contains('\n'), "one line");
        }
    }
}
