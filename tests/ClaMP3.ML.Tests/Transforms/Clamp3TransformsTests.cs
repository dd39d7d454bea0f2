using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests;

/// <summary>CLaMP 3 as ML.NET transforms, checked against the clamp3-tiny fixtures (atol 1e-4 + rtol 1e-4).</summary>
[TestClass]
public class Clamp3TransformsTests
{
    private static string Tiny(params string[] parts) => TestPaths.Fixture(new[] { "clamp3-tiny" }.Concat(parts).ToArray());
    private static string Checkpoint => Tiny("clamp3_tiny.pth");
    private static string Tokenizer => TestPaths.Fixture("tokenizer", "spm.model");
    private static Clamp3FeaturizerOptions Options(Modality modality, string input) => new()
    {
        CheckpointPath = Checkpoint, TokenizerPath = Tokenizer, ConfigPath = Tiny("config.json"),
        Modality = modality, InputColumnName = input, BatchSize = 3,
    };

    private sealed class Item
    {
        public string Name { get; set; } = "";
        public string Music { get; set; } = "";
        public string Text { get; set; } = "";
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double excess = Math.Abs(actual[i] - expected[i]) - (1e-4 + 1e-4 * Math.Abs(expected[i]));
            if (worstAt < 0 || excess > worst) { worst = excess; worstAt = i; }
        }
        Assert.IsTrue(worst <= 0, $"{what}: element {worstAt} is {actual[worstAt]}, expected {expected[worstAt]} (beyond tolerance by {worst:G3})");
    }

    private static Item[] Scores() => Directory.GetFiles(Tiny("inputs", "abc"), "*.abc").Concat(Directory.GetFiles(Tiny("inputs", "mtf"), "*.mtf"))
        .OrderBy(f => f, StringComparer.Ordinal)
        .Select(f => new Item { Name = f, Music = File.ReadAllText(f) }).ToArray();

    private static float[] ExpectedGlobal(string inputFile)
    {
        string kind = Path.GetFileName(Path.GetDirectoryName(inputFile)!);
        return NpyFile.Read(Tiny("expected", kind, Path.GetFileNameWithoutExtension(inputFile) + ".global.npy")).ToFloat32();
    }

    [TestMethod]
    public void ScoreFeaturizerMatchesFixturesInBatchesAndPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var items = Scores();
        var data = ml.Data.LoadFromEnumerable(items);
        var model = ml.Transforms.FeaturizeClamp3(Options(Modality.Symbolic, "Music")).Fit(data);
        Assert.AreEqual(24, ((VectorDataViewType)model.GetOutputSchema(data.Schema)["Features"].Type).Size);
        var rows = model.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < items.Length; i++) AssertClose(ExpectedGlobal(items[i].Name), rows[i], Path.GetFileName(items[i].Name));

        var engine = ml.Model.CreatePredictionEngine<Item, Embedded>(model);
        AssertClose(ExpectedGlobal(items[2].Name), engine.Predict(items[2]).Features, "PredictionEngine " + Path.GetFileName(items[2].Name));
    }

    private sealed class Embedded
    {
        [VectorType(24)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void TextFeaturizerSequenceOutputCarriesItsWidth()
    {
        var ml = new MLContext(seed: 1);
        var files = Directory.GetFiles(Tiny("inputs", "text"), "*.txt").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var data = ml.Data.LoadFromEnumerable(files.Select(f => new Item { Name = f, Text = File.ReadAllText(f) }));
        var options = Options(Modality.Text, "Text");
        options.FeatureKind = FeatureKind.Sequence;
        var output = ml.Transforms.FeaturizeClamp3(options).Fit(data).Transform(data);
        var column = output.Schema["Features"];
        int width = 0;
        column.Annotations.GetValue("SequenceWidth", ref width);
        Assert.AreEqual(32, width);
        var rows = output.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < files.Length; i++)
        {
            var expected = NpyFile.Read(Tiny("expected", "text", Path.GetFileNameWithoutExtension(files[i]) + ".seq.npy"));
            Assert.AreEqual(expected.Shape[^1], width);
            AssertClose(expected.ToFloat32(), rows[i], Path.GetFileName(files[i]) + " sequence");
        }
    }

    private sealed class MertRow
    {
        public string Name { get; set; } = "";
        public float[] Mert { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void AudioFeaturizerReadsMertVectorsAndFlagsBadWidthsByRow()
    {
        var ml = new MLContext(seed: 1);
        var files = Directory.GetFiles(Tiny("inputs", "audio"), "*.npy").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var rows = files.Select(f => new MertRow { Name = f, Mert = NpyFile.Read(f).ToFloat32() }).ToList();
        var schema = SchemaDefinition.Create(typeof(MertRow));
        schema["Mert"].ColumnType = new VectorDataViewType(NumberDataViewType.Single); // variable length: rows × 32
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var output = ml.Transforms.FeaturizeClamp3(Options(Modality.Audio, "Mert")).Fit(data).Transform(data);
        var features = output.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < files.Length; i++) AssertClose(ExpectedGlobal(files[i]), features[i], Path.GetFileName(files[i]));

        rows.Insert(1, new MertRow { Name = "bad", Mert = new float[33] });
        var bad = ml.Data.LoadFromEnumerable(rows, schema);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Transforms.FeaturizeClamp3(Options(Modality.Audio, "Mert")).Fit(bad).Transform(bad).GetColumn<VBuffer<float>>("Features").ToList());
        StringAssert.Contains(e.Message, "Row 1");
    }

    [TestMethod]
    public void SavedPipelineReloadsTwiceWithIdenticalOutputsAndNamesMissingWeights()
    {
        var ml = new MLContext(seed: 1);
        var items = Scores();
        var data = ml.Data.LoadFromEnumerable(items);
        var pipeline = ml.Transforms.FeaturizeClamp3(Options(Modality.Symbolic, "Music"))
            .Append(ml.Transforms.NormalizeLpNorm("Normalized", "Features"));
        var model = pipeline.Fit(data);
        var before = model.Transform(data).GetColumn<VBuffer<float>>("Normalized").Select(v => v.DenseValues().ToArray()).ToList();

        using var tmp = TestPaths.NewTempDir();
        string weights = Path.Combine(tmp.Path, "weights");
        Directory.CreateDirectory(weights);
        foreach (var f in new[] { Checkpoint, Tokenizer, Tiny("config.json") }) File.Copy(f, Path.Combine(weights, Path.GetFileName(f)));
        var copied = Options(Modality.Symbolic, "Music");
        copied.CheckpointPath = Path.Combine(weights, "clamp3_tiny.pth");
        copied.TokenizerPath = Path.Combine(weights, "spm.model");
        copied.ConfigPath = Path.Combine(weights, "config.json");
        var modelOnCopies = ml.Transforms.FeaturizeClamp3(copied).Append(ml.Transforms.NormalizeLpNorm("Normalized", "Features")).Fit(data);

        string referencing = Path.Combine(tmp.Path, "referencing.zip");
        string selfContained = Path.Combine(tmp.Path, "self-contained.zip");
        ml.Model.SaveClamp3(modelOnCopies, data.Schema, referencing);
        ml.Model.SaveClamp3(modelOnCopies, data.Schema, selfContained, new Clamp3SaveOptions { IncludeWeights = true });

        foreach (var path in new[] { referencing, selfContained, referencing })
        {
            var loaded = new MLContext(seed: 2).Model.LoadClamp3(path, out var inputSchema,
                new Clamp3LoadOptions { ExtractDirectory = Path.Combine(tmp.Path, "extracted") });
            Assert.AreEqual("Music", inputSchema["Music"].Name);
            var after = loaded.Transform(data).GetColumn<VBuffer<float>>("Normalized").Select(v => v.DenseValues().ToArray()).ToList();
            // A reloaded pipeline loads its own model instance; libtorch does not promise bit-identical results across
            // instances (memory alignment picks vector paths), so allow float32 rounding: 1e-6, far inside the 1e-4 parity tolerance.
            for (int i = 0; i < before.Count; i++)
                for (int k = 0; k < before[i].Length; k++)
                    Assert.AreEqual(before[i][k], after[i][k], 1e-6, $"{Path.GetFileName(path)} row {i} element {k}");
        }

        Directory.Delete(weights, recursive: true);
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Model.LoadClamp3(referencing, out _));
        StringAssert.Contains(e.Message, "clamp3_tiny.pth");
        StringAssert.Contains(e.Message, "IncludeWeights");
        var stillWorks = ml.Model.LoadClamp3(selfContained, out _, new Clamp3LoadOptions { ExtractDirectory = Path.Combine(tmp.Path, "extracted2") });
        Assert.AreEqual(before.Count, stillWorks.Transform(data).GetColumn<VBuffer<float>>("Normalized").Count());
    }

    [TestMethod]
    public void PlainModelSaveExplainsTheClamp3Route()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Scores());
        var model = ml.Transforms.FeaturizeClamp3(Options(Modality.Symbolic, "Music")).Fit(data);
        using var stream = new MemoryStream();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => ml.Model.Save(model, data.Schema, stream));
        StringAssert.Contains(e.Message, "SaveClamp3");
    }

    [TestMethod]
    public void ZeroShotScoresAreCosineSimilaritiesToLabelTexts()
    {
        var ml = new MLContext(seed: 1);
        var items = Scores();
        var data = ml.Data.LoadFromEnumerable(items);
        var labels = new[] { "jig", "reel", "waltz" };
        var descriptions = new[] { "A lively Irish jig in 6/8.", "Ein schneller Reel.", "Une valse lente." };
        var options = new Clamp3ZeroShotOptions { Music = Options(Modality.Symbolic, "Music"), Labels = labels, LabelDescriptions = descriptions };
        var output = ml.Transforms.Clamp3ZeroShotClassify(options).Fit(data).Transform(data);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        output.Schema["Score"].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(labels, slotNames.DenseValues().Select(m => m.ToString()).ToArray());

        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Checkpoint) { TokenizerPath = Tokenizer, ConfigPath = Tiny("config.json") });
        var labelVectors = embedder.EmbedTexts(descriptions).Select(m => m.Values).ToArray();
        var scores = output.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var predicted = output.GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(m => m.ToString()).ToList();
        for (int i = 0; i < items.Length; i++)
        {
            var music = ExpectedGlobal(items[i].Name);
            var expected = labelVectors.Select(l => (float)Retrieval.Similarity.Cosine(music, l)).ToArray();
            for (int k = 0; k < labels.Length; k++)
                Assert.AreEqual(expected[k], scores[i][k], 1e-3, $"{Path.GetFileName(items[i].Name)} label {labels[k]}");
            Assert.AreEqual(labels[Array.IndexOf(scores[i], scores[i].Max())], predicted[i]);
        }
    }
}
