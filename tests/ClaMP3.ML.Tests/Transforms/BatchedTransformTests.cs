using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests;

/// <summary>The cursor contract of the batched transform machinery, with a small real mapper (text → character
/// statistics) so that each expected value can be computed independently here.</summary>
[TestClass]
public class BatchedTransformTests
{
    private sealed class TextStatsMapper : BatchMapper<ReadOnlyMemory<char>>
    {
        public readonly List<int> BatchSizes = new();

        public TextStatsMapper(int batchSize, RowErrorMode mode) : base("Text", batchSize, mode) { }

        public override IReadOnlyList<MappedColumn> Outputs { get; } = new[]
        {
            new MappedColumn("Stats", new VectorDataViewType(NumberDataViewType.Single, 3)),
            new MappedColumn("Upper", TextDataViewType.Instance),
        };

        public override void CheckInputType(DataViewType type)
        {
            if (type is not TextDataViewType) throw new ArgumentOutOfRangeException(nameof(type), $"Column 'Text' must be text, not {type}.");
        }

        public override ReadOnlyMemory<char> Copy(in ReadOnlyMemory<char> value) => value.ToArray();

        public override void MapBatch(IReadOnlyList<ReadOnlyMemory<char>> inputs, IReadOnlyList<long> rowPositions, object?[][] results)
        {
            BatchSizes.Add(inputs.Count);
            for (int i = 0; i < inputs.Count; i++)
            {
                string s = inputs[i].ToString();
                if (s == "bad") throw new RowMappingException("the text is 'bad'");
                results[i][0] = Expected(s, rowPositions[i]);
                results[i][1] = (ReadOnlyMemory<char>)s.ToUpperInvariant().AsMemory();
            }
        }

        public override object MissingValue(int outputIndex) =>
            outputIndex == 0 ? new[] { float.NaN, float.NaN, float.NaN } : ReadOnlyMemory<char>.Empty;

        public static float[] Expected(string s, long position) => new float[] { s.Length, s.Length > 0 ? s[0] : 0, position };
    }

    private sealed class TextStatsTransformer : BatchedTransformer
    {
        public TextStatsTransformer(TextStatsMapper mapper) : base(mapper) { }
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public int Id { get; set; }
        [VectorType(2)] public float[] Pair { get; set; } = new float[2];
    }

    private sealed class Prediction
    {
        [VectorType(3)] public float[] Stats { get; set; } = Array.Empty<float>();
        public string Upper { get; set; } = "";
        public int Id { get; set; }
        [VectorType(2)] public float[] Pair { get; set; } = Array.Empty<float>();
    }

    private static Row[] MakeRows(int n) => Enumerable.Range(0, n)
        .Select(i => new Row { Text = new string((char)('a' + i % 26), i % 7), Id = i, Pair = new float[] { i, -i } }).ToArray();

    [TestMethod]
    public void TransformKeepsOrderAndPassThroughColumnsAcrossBatchBoundaries()
    {
        var ml = new MLContext(seed: 1);
        var rows = MakeRows(23);
        var mapper = new TextStatsMapper(batchSize: 5, RowErrorMode.Throw);
        var output = new TextStatsTransformer(mapper).Transform(ml.Data.LoadFromEnumerable(rows));
        var results = ml.Data.CreateEnumerable<Prediction>(output, reuseRowObject: false).ToList();

        Assert.AreEqual(rows.Length, results.Count);
        for (int i = 0; i < rows.Length; i++)
        {
            CollectionAssert.AreEqual(TextStatsMapper.Expected(rows[i].Text, i), results[i].Stats, $"row {i}");
            Assert.AreEqual(rows[i].Text.ToUpperInvariant(), results[i].Upper, $"row {i}");
            Assert.AreEqual(rows[i].Id, results[i].Id, $"row {i}");
            CollectionAssert.AreEqual(rows[i].Pair, results[i].Pair, $"row {i}");
        }
        CollectionAssert.AreEqual(new[] { 5, 5, 5, 5, 3 }, mapper.BatchSizes, "rows are mapped in batches of 5");
    }

    [TestMethod]
    public void CursorWithoutOutputColumnsNeverCallsTheMapper()
    {
        var ml = new MLContext(seed: 1);
        var mapper = new TextStatsMapper(batchSize: 4, RowErrorMode.Throw);
        var output = new TextStatsTransformer(mapper).Transform(ml.Data.LoadFromEnumerable(MakeRows(9)));
        var ids = output.GetColumn<int>("Id").ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(0, 9).ToArray(), ids);
        Assert.AreEqual(0, mapper.BatchSizes.Count);
    }

    [TestMethod]
    public void PredictionEngineMapsSingleRowsWithFreshValues()
    {
        var ml = new MLContext(seed: 1);
        var mapper = new TextStatsMapper(batchSize: 8, RowErrorMode.Throw);
        var transformer = new TextStatsTransformer(mapper);
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(transformer,
            ml.Data.LoadFromEnumerable(Array.Empty<Row>()).Schema);
        var first = engine.Predict(new Row { Text = "xyz", Id = 7 });
        var second = engine.Predict(new Row { Text = "hello", Id = 8 });
        Assert.AreEqual("XYZ", first.Upper);
        Assert.AreEqual(3f, first.Stats[0]);
        Assert.AreEqual("HELLO", second.Upper);
        Assert.AreEqual(5f, second.Stats[0]);
        Assert.AreEqual((float)'h', second.Stats[1]);
    }

    [TestMethod]
    public void BadRowThrowsNamingTheRowByDefault()
    {
        var ml = new MLContext(seed: 1);
        var rows = MakeRows(6);
        rows[4].Text = "bad";
        var output = new TextStatsTransformer(new TextStatsMapper(3, RowErrorMode.Throw)).Transform(ml.Data.LoadFromEnumerable(rows));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => output.GetColumn<VBuffer<float>>("Stats").ToList());
        StringAssert.Contains(e.Message, "Row 4");
        StringAssert.Contains(e.Message, "'Text'");
    }

    [TestMethod]
    public void BadRowBecomesMissingValuesAndItsNeighboursSurvive()
    {
        var ml = new MLContext(seed: 1);
        var rows = MakeRows(6);
        rows[4].Text = "bad";
        var warnings = new List<string>();
        var mapper = new TextStatsMapper(3, RowErrorMode.MissingValue) { Warn = warnings.Add };
        var results = ml.Data.CreateEnumerable<Prediction>(new TextStatsTransformer(mapper).Transform(ml.Data.LoadFromEnumerable(rows)), false).ToList();
        Assert.IsTrue(results[4].Stats.All(float.IsNaN));
        CollectionAssert.AreEqual(TextStatsMapper.Expected(rows[3].Text, 3), results[3].Stats);
        CollectionAssert.AreEqual(TextStatsMapper.Expected(rows[5].Text, 5), results[5].Stats);
        Assert.AreEqual(1, warnings.Count);
        StringAssert.Contains(warnings[0], "Row 4");
    }

    [TestMethod]
    public void WrongInputTypeFailsAtSchemaTimeAndModelSavePointsToClamp3ModelFile()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = 1f } });
        var transformer = new TextStatsTransformer(new TextStatsMapper(2, RowErrorMode.Throw));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transformer.GetOutputSchema(data.Schema));

        var good = ml.Data.LoadFromEnumerable(MakeRows(2));
        using var stream = new MemoryStream();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => ml.Model.Save(transformer, good.Schema, stream));
        StringAssert.Contains(e.Message, "SaveClamp3");
    }
}
