using ClaMP3.ML.IO;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests.IO;

/// <summary>Reading a TSV against a pipeline's input schema: text columns by header name, an absent text column read as
/// empty with a note, and the files that cannot be read, each refused naming the file.</summary>
[TestClass]
public class DataViewTsvTests
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class Scored
    {
        public string Text { get; set; } = "";
        public float Weight { get; set; }
    }

    [TestMethod]
    public void ReadsTheSchemasTextColumnsAndAnAbsentOneAsEmpty()
    {
        using var tmp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 0);
        var schema = ml.Data.LoadFromEnumerable(new[] { new Row() }).Schema;
        string tsv = Path.Combine(tmp.Path, "in.tsv");
        File.WriteAllLines(tsv, ["Id\tText", "1\t\"a jig, in\ttabs\"", "2\ta reel"]);
        var notes = new List<string>();
        var (data, header) = DataViewTsv.Read(ml, tsv, schema, notes.Add);
        CollectionAssert.AreEqual(new[] { "Id", "Text" }, header.ToArray());
        CollectionAssert.AreEqual(new[] { "a jig, in\ttabs", "a reel" }, data.GetColumn<string>("Text").ToArray());
        CollectionAssert.AreEqual(new[] { "", "" }, data.GetColumn<string>("Label").ToArray());
        Assert.AreEqual($"{tsv} has no column 'Label': read as empty (fine for a label when only scoring).", notes.Single());
    }

    [TestMethod]
    public void RefusesEmptyFilesForeignHeadersAndNonTextColumnsNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 0);
        var schema = ml.Data.LoadFromEnumerable(new[] { new Scored() }).Schema;
        string empty = Path.Combine(tmp.Path, "empty.tsv"), foreign = Path.Combine(tmp.Path, "foreign.tsv"), numeric = Path.Combine(tmp.Path, "numeric.tsv");
        File.WriteAllText(empty, "");
        File.WriteAllLines(foreign, ["Other", "x"]);
        File.WriteAllLines(numeric, ["Text\tWeight", "x\t1"]);
        foreach (var path in new[] { empty, foreign, numeric })
            StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => DataViewTsv.Read(ml, path, schema)).Message, path + ":");
        // Without the non-text column the file is read; the pipeline would say if it needs it.
        File.WriteAllLines(numeric, ["Text", "x"]);
        Assert.AreEqual("x", DataViewTsv.Read(ml, numeric, schema).Data.GetColumn<string>("Text").Single());
    }

    [TestMethod]
    public void WhatWriteQuotesReadGivesBackEvenAcrossLines()
    {
        // An ABC score is several lines: Write quotes such a cell, and Read must take the quoted newlines as text.
        using var tmp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 0);
        var rows = new[] { new Row { Text = "X:1\nK:G\n|:GAB cde:|", Label = "jig" }, new Row { Text = "say \"hi\"\tthere", Label = "reel" } };
        var data = ml.Data.LoadFromEnumerable(rows);
        string tsv = Path.Combine(tmp.Path, "rows.tsv");
        using (var writer = new StreamWriter(tsv)) DataViewTsv.Write(data, ["Text", "Label"], writer);
        var (read, _) = DataViewTsv.Read(ml, tsv, data.Schema);
        CollectionAssert.AreEqual(rows.Select(r => r.Text).ToArray(), read.GetColumn<string>("Text").ToArray());
        CollectionAssert.AreEqual(rows.Select(r => r.Label).ToArray(), read.GetColumn<string>("Label").ToArray());
    }
}
