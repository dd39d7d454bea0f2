using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace ClaMP3.ML.Tests;

/// <summary>ML.NET's estimator contract for every ClaMP3.ML estimator (schema before Fit, wrong input types rejected
/// before any data flows), a saved pipeline scored in another process, and flat memory over 10,000 rows.</summary>
[TestClass]
public class Clamp3EstimatorContractTests
{
    private static string Tiny(string name) => TestPaths.Fixture("clamp3-tiny", name);

    private static Clamp3FeaturizerOptions Options(Modality modality, string input) => new()
    {
        CheckpointPath = Tiny("clamp3_tiny.pth"), ConfigPath = Tiny("config.json"), TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model"),
        Modality = modality, InputColumnName = input, BatchSize = 16,
    };

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public float Number { get; set; }
        [VectorType(64)] public float[] Mert { get; set; } = new float[64];
    }

    private static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(new[]
    {
        new Row { Text = "A reel in G major.", Number = 1 },
        new Row { Text = "Ein Walzer.", Number = 2 },
    });

    [TestMethod]
    public void EveryEstimatorPropagatesItsSchemaBeforeFitAndRejectsWrongInputTypes()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var shape = ClaMP3.ML.Transforms.Core.SchemaShapes.FromSchema(data.Schema);
        var cases = new (string Name, IEstimator<ITransformer> Good, IEstimator<ITransformer> WrongType, string WrongColumn, string Output, DataViewType Expected)[]
        {
            ("text", ml.Transforms.FeaturizeClamp3(Options(Modality.Text, "Text")), ml.Transforms.FeaturizeClamp3(Options(Modality.Text, "Number")), "Number",
                "Features", new VectorDataViewType(NumberDataViewType.Single, 24)),
            ("score", ml.Transforms.FeaturizeClamp3(Options(Modality.Symbolic, "Text")), ml.Transforms.FeaturizeClamp3(Options(Modality.Symbolic, "Mert")), "Mert",
                "Features", new VectorDataViewType(NumberDataViewType.Single, 24)),
            ("audio", ml.Transforms.FeaturizeClamp3(Options(Modality.Audio, "Mert")), ml.Transforms.FeaturizeClamp3(Options(Modality.Audio, "Text")), "Text",
                "Features", new VectorDataViewType(NumberDataViewType.Single, 24)),
            ("zero-shot", ml.Transforms.Clamp3ZeroShotClassify(new Clamp3ZeroShotOptions { Music = Options(Modality.Symbolic, "Text"), Labels = new[] { "a", "b" } }),
                ml.Transforms.Clamp3ZeroShotClassify(new Clamp3ZeroShotOptions { Music = Options(Modality.Symbolic, "Number"), Labels = new[] { "a", "b" } }), "Number",
                "PredictedLabel", TextDataViewType.Instance),
            ("abc2interleaved", ml.Transforms.ConvertAbcToInterleaved(inputColumnName: "Text"), ml.Transforms.ConvertAbcToInterleaved(inputColumnName: "Number"), "Number",
                "Music", TextDataViewType.Instance),
            ("midi2mtf", ml.Transforms.ConvertMidiToMtf(inputColumnName: "Text"), ml.Transforms.ConvertMidiToMtf(inputColumnName: "Mert"), "Mert",
                "Music", TextDataViewType.Instance),
        };
        foreach (var (name, good, wrong, wrongColumn, output, expected) in cases)
        {
            var outShape = good.GetOutputSchema(shape);
            var column = outShape.Single(c => c.Name == output);
            var schema = good.Fit(data).GetOutputSchema(data.Schema);
            Assert.AreEqual(expected, schema[output].Type, $"{name}: output type after Fit");
            Assert.AreEqual(expected is VectorDataViewType ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar, column.Kind, $"{name}: shape before Fit");
            Assert.IsTrue(outShape.Any(c => c.Name == "Number"), $"{name}: input columns pass through");
            var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => wrong.GetOutputSchema(shape), name);
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => wrong.Fit(data), name);
            StringAssert.Contains(e1.Message, $"'{wrongColumn}'", $"{name}: the message names the column");
        }
    }

    [TestMethod]
    [Timeout(300_000)]
    public void SavedPipelineScoresTheSameInAnotherProcess()
    {
        var ml = new MLContext(seed: 1);
        var texts = new[] { "A lively Irish jig in 6/8.", "Ein schneller Reel.", "Une valse lente.", "一首悲伤的歌" };
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
        var model = ml.Transforms.FeaturizeClamp3(Options(Modality.Text, "Text")).Fit(data);
        var expected = model.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();

        using var tmp = TestPaths.NewTempDir();
        string modelPath = Path.Combine(tmp.Path, "text.zip"), input = Path.Combine(tmp.Path, "in.tsv"), output = Path.Combine(tmp.Path, "out.tsv");
        ml.Model.SaveClamp3(model, data.Schema, modelPath, new Clamp3SaveOptions { IncludeWeights = true });
        File.WriteAllLines(input, new[] { "Text" }.Concat(texts));
        var run = ChildProcess.Run(ChildProcess.Clamp3, "transform", modelPath, input, output, "--columns", "Features");
        Assert.AreEqual(0, run.Code, run.Error);

        // ML.NET's text saver writes a commented or no header for vector columns: keep the numeric rows.
        var lines = File.ReadAllLines(output)
            .Where(l => l.Length > 0 && float.TryParse(l.Split('\t')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _)).ToList();
        Assert.AreEqual(texts.Length, lines.Count, "one line per row");
        for (int i = 0; i < texts.Length; i++)
        {
            var values = lines[i].Split('\t').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.AreEqual(expected[i].Length, values.Length);
            for (int k = 0; k < values.Length; k++)
                Assert.AreEqual(expected[i][k], values[k], 1e-5, $"row {i} element {k}: the other process's embedding");
        }
    }

    [TestMethod]
    [Timeout(600_000)]
    public void TenThousandRowsKeepMemoryFlatAndLeaveNoTensorsBehind()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 10_000).Select(i => new Row { Text = $"Tune number {i}, a reel in {(char)('A' + i % 7)} major." });
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FeaturizeClamp3(Options(Modality.Text, "Text")).Fit(data);
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssStart = 0;
        int count = 0;
        using (var cursor = model.Transform(data).GetRowCursor(model.GetOutputSchema(data.Schema).Where(c => c.Name == "Features")))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema["Features"]);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                if (++count == 1000)
                {
                    GC.Collect();
                    rssStart = Process.GetCurrentProcess().WorkingSet64; // after warm-up: model loaded, allocator primed
                }
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssEnd = Process.GetCurrentProcess().WorkingSet64;
        Assert.AreEqual(10_000, count);
        Console.WriteLine($"RSS after 1,000 rows {rssStart / 1048576} MB, after 10,000 rows {rssEnd / 1048576} MB");
        Assert.IsTrue(rssEnd - rssStart < 64L * 1024 * 1024, $"RSS grew from {rssStart / 1048576} MB to {rssEnd / 1048576} MB over 9,000 rows");
        Assert.AreEqual(liveBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors escaped a dispose scope");
    }
}
