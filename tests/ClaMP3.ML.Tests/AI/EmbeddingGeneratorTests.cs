using ClaMP3.ML.AI;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace ClaMP3.ML.Tests;

[TestClass]
public class EmbeddingGeneratorTests
{
    private static Clamp3Embedder? _embedder;

    private static string Tiny(params string[] parts) => TestPaths.Fixture(new[] { "clamp3-tiny" }.Concat(parts).ToArray());

    [ClassInitialize]
    public static void Load(TestContext _) => _embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Tiny("clamp3_tiny.pth"))
    {
        ConfigPath = Tiny("config.json"), TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model"), BatchSize = 3,
    });

    [ClassCleanup]
    public static void Unload() => _embedder?.Dispose();

    private static Clamp3Embedder Embedder => _embedder!;

    private static double WorstDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.AreEqual(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    public sealed class Piece
    {
        public string Key { get; set; } = "";
        public string Title { get; set; } = "";
        public DataContent Music { get; set; } = null!;
    }

    private static DataContent Load(string file, string mediaType) =>
        new(File.ReadAllBytes(file), mediaType) { Name = Path.GetFileName(file) };

    [TestMethod]
    public async Task TextAndScoreGeneratorsBatchAndMatchTheEmbedder()
    {
        var texts = Directory.GetFiles(Tiny("inputs", "text"), "*.txt").Order(StringComparer.Ordinal).Select(SourceText.ReadFile).ToList();
        using var generator = new Clamp3TextEmbeddingGenerator(Embedder) { BatchSize = 2 };
        var embeddings = await generator.GenerateAsync(texts);
        Assert.AreEqual(texts.Count, embeddings.Count);
        double worst = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.AreEqual(Embedder.GlobalDimension, embeddings[i].Vector.Length);
            Assert.AreEqual("clamp3_tiny", embeddings[i].ModelId);
            worst = Math.Max(worst, WorstDifference(Embedder.EmbedText(texts[i]).Values, embeddings[i].Vector.Span));
        }
        Assert.IsTrue(worst < 1e-5, $"text: worst difference against one-at-a-time embedding {worst}");

        var scores = Directory.GetFiles(Tiny("inputs", "abc"), "*.abc").Order(StringComparer.Ordinal).Take(4).Select(SourceText.ReadFile).ToList();
        using var scoreGenerator = Embedder.AsScoreEmbeddingGenerator();
        var scoreEmbeddings = await scoreGenerator.GenerateAsync(scores);
        worst = 0;
        for (int i = 0; i < scores.Count; i++) worst = Math.Max(worst, WorstDifference(Embedder.EmbedScore(scores[i]).Values, scoreEmbeddings[i].Vector.Span));
        Assert.IsTrue(worst < 1e-5, $"scores: worst difference {worst}");
    }

    [TestMethod]
    public void MetadataComesThroughGetService()
    {
        using var generator = Embedder.AsMediaEmbeddingGenerator();
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.IsNotNull(metadata);
        Assert.AreEqual("clamp3_tiny", metadata.DefaultModelId);
        Assert.AreEqual(Embedder.GlobalDimension, metadata.DefaultModelDimensions);
        Assert.AreEqual("ClaMP3.ML", metadata.ProviderName);
        Assert.AreSame(Embedder, generator.GetService<Clamp3Embedder>());
        Assert.IsNull(generator.GetService<EmbeddingGeneratorMetadata>("some key"));
    }

    [TestMethod]
    public async Task CancellationAndBadInputsAreHonoured()
    {
        using var generator = new Clamp3TextEmbeddingGenerator(Embedder);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => generator.GenerateAsync(new[] { "a jig" }, cancellationToken: cancelled.Token));
        await Assert.ThrowsExactlyAsync<NotSupportedException>(() => generator.GenerateAsync(new[] { "a jig" }, new EmbeddingGenerationOptions { Dimensions = 7 }));

        using var media = new Clamp3MediaEmbeddingGenerator(Embedder);
        var e = await Assert.ThrowsExactlyAsync<NotSupportedException>(() => media.GenerateAsync(new[] { new DataContent(new byte[] { 1, 2 }, "image/png") { Name = "cover.png" } }));
        StringAssert.Contains(e.Message, "cover.png");
        StringAssert.Contains(e.Message, "image/png");
        var bad = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => media.GenerateAsync(new[] { new DataContent(new byte[] { 1, 2, 3 }, "application/x-npy") { Name = "broken.npy" } }));
        StringAssert.Contains(bad.Message, "broken.npy");
        var audio = await Assert.ThrowsExactlyAsync<NotSupportedException>(() => media.GenerateAsync(new[] { new DataContent(new byte[] { 1 }, "audio/wav") }));
        StringAssert.Contains(audio.Message, "MERT");
    }

    [TestMethod]
    public async Task AVectorDataCollectionStoresAndSearchesWithOurGenerators()
    {
        // Scores (ABC, MTF) and MERT feature files in one collection; the vector property is generated by our media generator,
        // and text queries go through our text generator (the collection-level one): CLaMP 3's shared space.
        using var media = Embedder.AsMediaEmbeddingGenerator();
        using var text = Embedder.AsTextEmbeddingGenerator();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            {
                new VectorStoreKeyProperty(nameof(Piece.Key), typeof(string)),
                new VectorStoreDataProperty(nameof(Piece.Title), typeof(string)),
                new VectorStoreVectorProperty(nameof(Piece.Music), typeof(DataContent), Embedder.GlobalDimension) { EmbeddingGenerator = media },
            },
            EmbeddingGenerator = text,
        };
        using var collection = new InMemoryVectorCollection<Piece>("music", definition);
        await collection.EnsureCollectionExistsAsync();
        var files = Directory.GetFiles(Tiny("inputs", "abc"), "*.abc").Select(f => (f, "text/vnd.abc"))
            .Concat(Directory.GetFiles(Tiny("inputs", "mtf"), "*.mtf").Select(f => (f, "text/x-mtf")))
            .Concat(Directory.GetFiles(Tiny("inputs", "audio"), "*.npy").Select(f => (f, "application/x-npy")))
            .OrderBy(p => p.f, StringComparer.Ordinal).ToList();
        var pieces = files.Select(p => new Piece { Key = Path.GetFileName(p.f), Title = Path.GetFileNameWithoutExtension(p.f), Music = Load(p.f, p.Item2) }).ToList();
        await collection.UpsertAsync(pieces);

        // What was stored is what the embedder computes for that file.
        var abc = files.First(p => p.Item2 == "text/vnd.abc").f;
        Assert.IsTrue(WorstDifference(Embedder.EmbedScore(SourceText.ReadFile(abc)).Values, collection.StoredEmbedding(Path.GetFileName(abc))) < 1e-5);
        var npy = files.First(p => p.Item2 == "application/x-npy").f;
        var mert = ClaMP3.ML.IO.MertFeatureFile.Read(npy, Embedder.Config.AudioFeatureDim);
        Assert.IsTrue(WorstDifference(Embedder.EmbedAudioFeatures(mert).Values, collection.StoredEmbedding(Path.GetFileName(npy))) < 1e-5);

        // Searching with a stored piece finds it first; scores are cosine similarities, best first.
        var probe = pieces[3];
        var results = await collection.SearchAsync(probe.Music, top: 5).ToListAsync();
        Assert.AreEqual(5, results.Count);
        Assert.AreEqual(probe.Key, results[0].Record.Key);
        Assert.AreEqual(1.0, results[0].Score!.Value, 1e-5);
        for (int i = 1; i < results.Count; i++) Assert.IsTrue(results[i - 1].Score >= results[i].Score);

        // A text query, embedded by the text generator, ranked against the music.
        var query = "A lively Irish jig";
        var queryVector = Embedder.EmbedText(query).Values;
        var textHits = await collection.SearchAsync(query, top: pieces.Count).ToListAsync();
        Assert.AreEqual(pieces.Count, textHits.Count);
        foreach (var hit in textHits)
            Assert.AreEqual(Similarity.Cosine(queryVector, collection.StoredEmbedding(hit.Record.Key)), hit.Score!.Value, 1e-5, hit.Record.Key);
    }
}
