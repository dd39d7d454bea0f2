using ClaMP3.ML.Inference;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Tests.Mert;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary>int8 (dynamically quantized) against float32 ONNX on the clamp3-tiny cases and the real corpus
/// (<c>../shared/data/real</c> texts, scores and audio through mert-tiny, with the fixture checkpoint): global cosine
/// ≥ 0.99 per item, and the text→music top-1 unchanged for ≥ 95 % of the queries.</summary>
[TestClass]
public sealed class OnnxInt8QualityTests
{
    private const double MinCosine = 0.99, MinTop1Agreement = 0.95;

    [TestMethod]
    public void Int8KeepsGlobalFeaturesAndRetrievalRanks()
    {
        using var temp = TestPaths.NewTempDir();
        string fp32 = Path.Combine(temp.Path, "fp32"), int8 = Path.Combine(temp.Path, "int8");
        Clamp3OnnxExporter.Export(Clamp3Fixture.Checkpoint, fp32, Clamp3Fixture.Config, OnnxPrecision.Float32, MertFixture.Dir);
        Clamp3OnnxExporter.Export(Clamp3Fixture.Checkpoint, int8, Clamp3Fixture.Config, OnnxPrecision.Int8, MertFixture.Dir);
        using var reference = Load(fp32);
        using var quantized = Load(int8);
        Assert.AreEqual("onnx cpu int8", quantized.Engine.Description);
        using var mert = new MertExtractor(new OnnxMertEngine(fp32, threads: 1));

        // Every item: fixture cases, real texts, real scores, real audio (MERT → audio encoder).
        var items = new List<(string Name, Func<Clamp3Embedder, PreparedInput> Prepare)>();
        foreach (var c in Clamp3Fixture.Cases)
            items.Add(($"fixture {c}", e => Clamp3ParityTests.Prepare(e, c)));
        var texts = Directory.GetFiles(Path.Combine(TestPaths.RealData, "text"), "*.txt").Order(StringComparer.Ordinal).ToList();
        var scores = Directory.GetFiles(Path.Combine(TestPaths.RealData, "abc"), "*.abc").Order(StringComparer.Ordinal).ToList();
        var audio = Directory.GetFiles(Path.Combine(TestPaths.RealData, "audio"), "*.wav").Order(StringComparer.Ordinal).ToList();
        foreach (var t in texts) items.Add(($"text {Path.GetFileName(t)}", e => e.PrepareText(SourceText.ReadFile(t))));
        foreach (var s in scores) items.Add(($"score {Path.GetFileName(s)}", e => e.PrepareScore(SourceText.ReadFile(s))));
        var audioFeatures = audio.Select(a => mert.ExtractFromFile(a)).ToList();
        for (int i = 0; i < audio.Count; i++)
        {
            var features = audioFeatures[i];
            items.Add(($"audio {Path.GetFileName(audio[i])}", e => e.PrepareAudioFeatures(features)));
        }
        var a = reference.Embed(items.Select(x => x.Prepare(reference)).ToList(), FeatureKind.Global);
        var b = quantized.Embed(items.Select(x => x.Prepare(quantized)).ToList(), FeatureKind.Global);
        var cosines = Enumerable.Range(0, items.Count).Select(i => (Name: items[i].Name, Cosine: Similarity.Cosine(a[i].Values, b[i].Values))).ToList();
        var worst = cosines.MinBy(c => c.Cosine);
        Console.WriteLine($"int8 vs fp32 global cosine over {items.Count} items: min {worst.Cosine:F5} ({worst.Name}), mean {cosines.Average(c => c.Cosine):F5}");

        // Text → music retrieval over the real corpus: texts of the pieces against the scores and the audio.
        int offset = Clamp3Fixture.Cases.Count;
        var textVectors = Enumerable.Range(offset, texts.Count).ToList();
        var scoreVectors = Enumerable.Range(offset + texts.Count, scores.Count).ToList();
        var audioVectors = Enumerable.Range(offset + texts.Count + scores.Count, audio.Count).ToList();
        int agree = 0, queries = 0;
        foreach (var (music, label) in new[] { (scoreVectors, "scores"), (audioVectors, "audio") })
        {
            int same = 0;
            foreach (var q in textVectors)
            {
                int Top1(IReadOnlyList<FeatureMatrix> f) => music.MaxBy(m => Similarity.Cosine(f[q].Values, f[m].Values));
                if (Top1(a) == Top1(b)) same++;
            }
            Console.WriteLine($"text→{label}: top-1 unchanged for {same}/{textVectors.Count}");
            agree += same;
            queries += textVectors.Count;
        }
        double agreement = agree / (double)queries;
        Console.WriteLine($"text→music top-1 unchanged: {agree}/{queries} = {agreement:P1} (CPU: {CpuFeatures.Summary()})");
        Assert.IsTrue(worst.Cosine >= MinCosine, $"int8 vs fp32: cosine {worst.Cosine:F5} for {worst.Name} (< {MinCosine})");
        Assert.IsTrue(agreement >= MinTop1Agreement, $"text→music top-1 unchanged for only {agreement:P1} of {queries} queries");
    }

    private static Clamp3Embedder Load(string onnx) => Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint)
    {
        OnnxDirectory = onnx, TokenizerPath = Clamp3Fixture.Tokenizer, BatchSize = 8, Threads = 1,
    });
}
