using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.ML.Tests.Transforms;

/// <summary>A fitted pipeline applied to a TSV file: the default output columns (id-like inputs, then what the pipeline
/// adds), chosen columns, and the output written atomically.</summary>
[TestClass]
public class Clamp3TsvTransformTests
{
    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void WritesIdColumnsAndTheColumnsThePipelineAddsByDefault()
    {
        using var tmp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 0);
        var training = ml.Data.LoadFromEnumerable(new[] { new Row { Id = "0", Text = "t", Label = "l" } });
        var pipeline = ml.Transforms.CopyColumns("Echo", "Text").Fit(training);
        string input = Path.Combine(tmp.Path, "in.tsv"), output = Path.Combine(tmp.Path, "out", "scored.tsv");
        File.WriteAllLines(input, ["Text\tId", "a jig\tA", "a reel\tB"]);
        var notes = new List<string>();

        var written = Clamp3TsvTransform.Apply(ml, pipeline, training.Schema, input, output, note: notes.Add);
        CollectionAssert.AreEqual(new[] { "Id", "Echo" }, written.ToArray());
        Assert.HasCount(1, notes, "the absent Label is read as empty");
        CollectionAssert.AreEqual(new[] { "Id\tEcho", "A\ta jig", "B\ta reel" }, File.ReadAllLines(output));
        Assert.IsFalse(Directory.EnumerateFiles(Path.GetDirectoryName(output)!, "*.tmp").Any(), "written atomically");

        written = Clamp3TsvTransform.Apply(ml, pipeline, training.Schema, input, output, ["Echo"]);
        CollectionAssert.AreEqual(new[] { "Echo" }, written.ToArray());
        CollectionAssert.AreEqual(new[] { "Echo", "a jig", "a reel" }, File.ReadAllLines(output));
    }
}
