using System.CommandLine;
using ClaMP3.Cli.Commands;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests.Cli;

/// <summary><c>clamp3 transform</c> on unlabeled data: a saved probe (featurizer → label key → trainer) scores a TSV
/// without the label column; chosen columns as a comma list; readable headers.</summary>
[TestClass]
public class TransformCliTests
{
    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Text { get; set; } = "";
        public string Genre { get; set; } = "";
    }

    private static int Run(params string[] args) => new RootCommand { new TransformCommand().Create() }.Parse(args).Invoke();

    [TestMethod]
    [Timeout(300_000)]
    public void ScoresUnlabeledRowsWritesChosenColumnsWithReadableHeaders()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[] { ("a", "A lively jig in 6/8", "jig"), ("b", "A slow air", "air"), ("c", "Another jig, fast", "jig"), ("d", "A sad slow air", "air") }
            .Select(r => new Row { Id = r.Item1, Text = r.Item2, Genre = r.Item3 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.FeaturizeClamp3(new Clamp3FeaturizerOptions
            {
                CheckpointPath = TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth"), ConfigPath = TestPaths.Fixture("clamp3-tiny", "config.json"),
                TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model"), Modality = Modality.Text, InputColumnName = "Text",
            })
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Genre"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new Microsoft.ML.Trainers.LbfgsMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = 5 }));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var expected = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored).GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(v => v.ToString()).ToList();

        using var tmp = TestPaths.NewTempDir();
        string zip = Path.Combine(tmp.Path, "probe.zip"), tsv = Path.Combine(tmp.Path, "new.tsv");
        ml.Model.SaveClamp3(model, data.Schema, zip);
        File.WriteAllLines(tsv, new[] { "Id\tText" }.Concat(rows.Select(r => $"{r.Id}\t{r.Text}")));   // no Genre column

        string chosen = Path.Combine(tmp.Path, "chosen.tsv");
        Assert.AreEqual(0, Run("transform", zip, tsv, chosen, "--columns", "Id,PredictedLabel"));
        var lines = File.ReadAllLines(chosen);
        Assert.AreEqual("Id\tPredictedLabel", lines[0]);
        CollectionAssert.AreEqual(rows.Select((r, i) => $"{r.Id}\t{expected[i]}").ToArray(), lines.Skip(1).ToArray());

        string repeated = Path.Combine(tmp.Path, "repeated.tsv");
        Assert.AreEqual(0, Run("transform", zip, tsv, repeated, "--columns", "Id", "--columns", "Score"));
        Assert.AreEqual("Id\tScore.jig\tScore.air", File.ReadAllLines(repeated)[0]);

        string all = Path.Combine(tmp.Path, "default.tsv");
        Assert.AreEqual(0, Run("transform", zip, tsv, all));
        var header = File.ReadAllLines(all)[0].Split('\t');
        Assert.AreEqual("Id", header[0], "id-like input column first");
        CollectionAssert.Contains(header, "PredictedLabel");
        CollectionAssert.DoesNotContain(header, "Text", "the input text is not repeated");
        Assert.IsTrue(header.Contains("Features.0") && header.Length > 8, "one header cell per vector value");
    }
}
