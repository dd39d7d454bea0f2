using ClaMP3.ML.Inference;
using ClaMP3.ML.Tokenization;
using ClaMP3.ML.IO;
using ClaMP3.ML.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Model;

/// <summary>Every clamp3-tiny case against the official outputs (atol 1e-4 + rtol 1e-4): ids, per-chunk, global and
/// sequence features, the batch outputs and both contrastive losses.</summary>
[TestClass]
public class Clamp3ParityTests
{
    private static Clamp3Embedder _embedder = null!;

    [ClassInitialize]
    public static void Load(TestContext _) =>
        _embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint)
        {
            ConfigPath = Clamp3Fixture.Config,
            TokenizerPath = Clamp3Fixture.Tokenizer,
            BatchSize = 5,
        });

    [ClassCleanup]
    public static void Unload() => _embedder?.Dispose();

    internal static PreparedInput Prepare(Clamp3Embedder e, Clamp3Fixture.Case c)
    {
        var path = Clamp3Fixture.PathOf(c.Input);
        return c.Modality switch
        {
            "text" => e.PrepareText(SourceText.ReadFile(path)),
            "symbolic" => e.PrepareScore(SourceText.ReadFile(path)),
            _ => e.PrepareAudioFeatures(ReadFeatures(path)),
        };
    }

    internal static FeatureMatrix ReadFeatures(string path)
    {
        var npy = NpyFile.Read(path);
        int width = (int)npy.Shape[^1];
        return new FeatureMatrix(npy.ToFloat32(), (int)(npy.Length / width), width);
    }

    [TestMethod]
    public void IdsAndPatchesMatchEveryCase()
    {
        int checkedCases = 0;
        foreach (var c in Clamp3Fixture.Cases)
        {
            var prepared = Prepare(_embedder, c);
            Assert.AreEqual(c.Length, prepared.Length, $"{c}: length");
            if (c.Modality == "audio")
            {
                Assert.AreEqual(0f, prepared.AudioRows!.Take(prepared.Width).Max(Math.Abs), $"{c}: leading zero row");
                continue;
            }
            var expected = Clamp3Fixture.Expected(c, "ids");
            var actual = c.Modality == "text" ? prepared.TokenIds!.Select(i => (long)i).ToArray()
                : prepared.Patches!.SelectMany(p => p).Select(i => (long)i).ToArray();
            CollectionAssert.AreEqual(expected.ToInt64(), actual, $"{c}: ids");
            checkedCases++;
        }
        Assert.AreEqual(23, checkedCases);
    }

    [TestMethod]
    public void GlobalFeaturesMatchEveryCase() => CompareAll(FeatureKind.Global, "global");

    [TestMethod]
    public void SequenceFeaturesMatchEveryCase() => CompareAll(FeatureKind.Sequence, "seq");

    private static void CompareAll(FeatureKind kind, string file)
    {
        var cases = Clamp3Fixture.Cases;
        // All 28 inputs in one call: segments of different items share batches.
        var outputs = _embedder.Embed(cases.Select(c => Prepare(_embedder, c)).ToList(), kind);
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < cases.Count; i++)
        {
            var expected = Clamp3Fixture.Expected(cases[i], file);
            long expectedRows = kind == FeatureKind.Global ? 1 : expected.Shape[0];
            if (outputs[i].Rows != expectedRows || outputs[i].Columns != expected.Shape[^1])
                comparison.Fail($"{cases[i]}: shape {outputs[i].Rows}×{outputs[i].Columns}, expected ({string.Join(", ", expected.Shape)})");
            comparison.Add(cases[i].ToString(), expected.ToFloat32(), outputs[i].Values);
        }
        Assert.AreEqual(28, cases.Count);
        comparison.AssertAll($"{file} of {cases.Count} cases");
    }

    [TestMethod]
    public void ChunkFeaturesMatchEveryCase()
    {
        var cases = Clamp3Fixture.Cases;
        var segments = _embedder.EmbedSegments(cases.Select(c => Prepare(_embedder, c)).ToList(), FeatureKind.Global);
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < cases.Count; i++)
            comparison.Add(cases[i].ToString(), Clamp3Fixture.Expected(cases[i], "chunks").ToFloat32(), segments[i].SelectMany(s => s).ToArray());
        comparison.AssertAll("chunks");
    }

    [TestMethod]
    public void OneItemAtATimeGivesTheBatchedNumbers()
    {
        var cases = Clamp3Fixture.Cases.Where((c, i) => i % 3 == 0).ToList();
        var batched = _embedder.Embed(cases.Select(c => Prepare(_embedder, c)).ToList(), FeatureKind.Sequence);
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < cases.Count; i++)
        {
            var single = _embedder.Embed(new[] { Prepare(_embedder, cases[i]) }, FeatureKind.Sequence)[0];
            comparison.Add(cases[i].ToString(), batched[i].Values, single.Values, 1e-5, 0);
        }
        comparison.AssertAll("batched vs single");
    }

    [TestMethod]
    public void ConvenienceMethodsMatchTheFixture()
    {
        var text = Clamp3Fixture.Cases.First(c => c.Name == "multiline_dupes");
        var abc = Clamp3Fixture.Cases.First(c => c.Name == "coleraine");
        var mtf = Clamp3Fixture.Cases.First(c => c.Kind == "mtf");
        var audio = Clamp3Fixture.Cases.First(c => c.Name == "long_t50");
        var comparison = new Clamp3Fixture.Comparison();
        comparison.Add("text", Clamp3Fixture.Expected(text, "global").ToFloat32(), _embedder.EmbedText(File.ReadAllText(Clamp3Fixture.PathOf(text.Input))).Values);
        var scores = _embedder.EmbedScores(new[] { abc, mtf }.Select(c => File.ReadAllText(Clamp3Fixture.PathOf(c.Input))).ToList(), FeatureKind.Sequence);
        comparison.Add("abc", Clamp3Fixture.Expected(abc, "seq").ToFloat32(), scores[0].Values);
        comparison.Add("mtf", Clamp3Fixture.Expected(mtf, "seq").ToFloat32(), scores[1].Values);
        comparison.Add("audio", Clamp3Fixture.Expected(audio, "global").ToFloat32(), _embedder.EmbedAudioFeatures(ReadFeatures(Clamp3Fixture.PathOf(audio.Input))).Values);
        comparison.AssertAll("convenience API");
        Assert.AreEqual(24, _embedder.GlobalDimension);
    }

    [TestMethod]
    public void BatchOutputsAndLossesMatch()
    {
        var comparison = new Clamp3Fixture.Comparison();
        var model = ((TorchClamp3Engine)_embedder.Engine).Model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var globals = new Dictionary<string, Tensor>();
        foreach (var modality in new[] { "text", "symbolic", "audio" })
        {
            var inputs = NpyFile.Read(Clamp3Fixture.PathOf($"expected/batch/{modality}.inputs.npy"));
            var masks = NpyFile.Read(Clamp3Fixture.PathOf($"expected/batch/{modality}.masks.npy"));
            var x = modality == "audio" ? tensor(inputs.ToFloat32(), inputs.Shape) : tensor(inputs.ToInt64(), inputs.Shape);
            var m = tensor(masks.ToFloat32(), masks.Shape);
            var kind = modality switch { "text" => Modality.Text, "symbolic" => Modality.Symbolic, _ => Modality.Audio };
            var seq = model.GetMusicFeatures(kind, x, m, global: false);
            var global = model.GetMusicFeatures(kind, x, m, global: true);
            comparison.Add($"batch/{modality}.seq", NpyFile.Read(Clamp3Fixture.PathOf($"expected/batch/{modality}.seq.npy")).ToFloat32(), seq.data<float>().ToArray());
            comparison.Add($"batch/{modality}.global", NpyFile.Read(Clamp3Fixture.PathOf($"expected/batch/{modality}.global.npy")).ToFloat32(), global.data<float>().ToArray());
            globals[modality] = global;
        }
        foreach (var music in new[] { "symbolic", "audio" })
        {
            // The official ClipLoss on one process: logits = scale · t·mᵀ, mean of both cross-entropies.
            var logits = globals["text"].matmul(globals[music].t()).Times(_embedder.Config.LogitScale);
            var labels = KeptScalarOps.Arange(logits.shape[0]);
            var loss = nn.functional.cross_entropy(logits, labels).Plus(nn.functional.cross_entropy(logits.t(), labels)).DividedBy(2);
            comparison.Add($"loss_text_{music}", NpyFile.Read(Clamp3Fixture.PathOf($"expected/batch/loss_text_{music}.npy")).ToFloat32(), new[] { loss.item<float>() });
        }
        comparison.AssertAll("batch outputs and losses");
    }

    [TestMethod]
    public void EmptyTextEmbedsBosEos()
    {
        var prepared = _embedder.PrepareText("\n\r\n");
        CollectionAssert.AreEqual(new[] { 0, 2 }, prepared.TokenIds);
        Assert.AreEqual(1, prepared.Warnings.Count);
        var warnings = new List<string>();
        _embedder.Warning += warnings.Add;
        try
        {
            var global = _embedder.EmbedText("");
            Assert.AreEqual(24, global.Columns);
            Assert.IsTrue(global.Values.All(float.IsFinite));
            var seq = _embedder.EmbedText("", FeatureKind.Sequence);
            Assert.AreEqual(2, seq.Rows);
        }
        finally { _embedder.Warning -= warnings.Add; }
        Assert.AreEqual(2, warnings.Count);
    }

    [TestMethod]
    public void AbcWithoutBarlinesKeepsOnlyHeaderAndSpecialPatches()
    {
        var prepared = _embedder.PrepareScore("X:1\nT:No bars\nK:G\nABcd efga\nG4\n");
        var p = _embedder.Config.PatchSize;
        Assert.AreEqual(5, prepared.Length); // BOS, X:, T:, K:, EOS
        CollectionAssert.AreEqual(Enumerable.Repeat(1, p).ToArray(), prepared.Patches![0]);
        CollectionAssert.AreEqual(new[] { 1 }.Concat(Enumerable.Repeat(2, p - 1)).ToArray(), prepared.Patches![4]);
        Assert.AreEqual((int)'K', prepared.Patches![3][1]);
        // Plain ABC without barlines: both warnings (not interleaved; only the header is embedded).
        Assert.AreEqual(2, prepared.Warnings.Count);
        Assert.IsTrue(prepared.Warnings.Any(w => w.Contains("barline")), string.Join("\n", prepared.Warnings));
        Assert.IsTrue(prepared.Warnings.Any(w => w.Contains("not interleaved")), string.Join("\n", prepared.Warnings));
    }

    [TestMethod]
    public void AudioFeaturesOfTheWrongWidthAreRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => _embedder.PrepareAudioFeatures(new FeatureMatrix(new float[10 * 16], 10, 16)));
        StringAssert.Contains(e.Message, "32 columns");
        Assert.ThrowsExactly<ArgumentException>(() => _embedder.PrepareAudioFeatures(new FeatureMatrix(new float[5], 2, 32)));
    }

    [TestMethod]
    public void PatchIdsOutsideTheOneHotRangeAreRejected()
    {
        using var scope = NewDisposeScope();
        var patches = zeros(new long[] { 1, 2, _embedder.Config.PatchSize }, dtype: ScalarType.Int64);
        patches[0, 1, 3] = tensor(200L);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ((TorchClamp3Engine)_embedder.Engine).Model.GetSymbolicFeatures(patches, ones(1, 2), true));
    }
}
