using System.Text.Json;
using ClaMP3.ML.Preprocessing.Abc;
using ClaMP3.ML.Preprocessing.Midi;
using ClaMP3.ML.Transforms;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests;

/// <summary>End-to-end pipelines on the real corpus: converters as transforms, featurizers, a linear probe trained by
/// ML.NET's own trainer, and saving/loading such a pipeline.</summary>
[TestClass]
public class Clamp3PipelineTests
{
    private static string Tiny(params string[] parts) => TestPaths.Fixture(new[] { "clamp3-tiny" }.Concat(parts).ToArray());

    private static Clamp3FeaturizerOptions ScoreOptions() => new()
    {
        CheckpointPath = Tiny("clamp3_tiny.pth"), ConfigPath = Tiny("config.json"), TokenizerPath = TestPaths.Fixture("tokenizer", "spm.model"),
        Modality = Modality.Symbolic, InputColumnName = "Music", BatchSize = 4,
    };

    private sealed class Piece
    {
        public string Id { get; set; } = "";
        public string Path { get; set; } = "";
        public string Abc { get; set; } = "";
        public string Mode { get; set; } = "";
    }

    private static List<Piece> Catalog() => File.ReadLines(Path.Combine(TestPaths.RealData, "catalog.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Select(e => new Piece
        {
            Id = e.GetProperty("id").GetString()!,
            Path = Path.Combine(TestPaths.RealData, e.GetProperty("midi").GetString()!),
            Abc = e.GetProperty("abc").ValueKind == JsonValueKind.String ? File.ReadAllText(Path.Combine(TestPaths.RealData, e.GetProperty("abc").GetString()!)) : "",
            Mode = e.GetProperty("key").ValueKind == JsonValueKind.String && e.GetProperty("key").GetString()!.Contains("minor") ? "minor" : "major",
        }).ToList();

    [TestMethod]
    public void MidiPathsConvertInTheTransformExactlyAsTheLibraryConverts()
    {
        var ml = new MLContext(seed: 1);
        var pieces = Catalog().Take(6).ToList();
        var data = ml.Data.LoadFromEnumerable(pieces);
        var output = ml.Transforms.ConvertMidiToMtf().Fit(data).Transform(data);
        var mtf = output.GetColumn<ReadOnlyMemory<char>>("Music").Select(m => m.ToString()).ToList();
        for (int i = 0; i < pieces.Count; i++)
            Assert.AreEqual(MidiToMtf.Convert(File.ReadAllBytes(pieces[i].Path), m3Compatible: true), mtf[i], pieces[i].Id);
    }

    private sealed class AbcRow
    {
        public string Abc { get; set; } = "";
    }

    [TestMethod]
    public void AbcTextConvertsToInterleavedAsTheOfficialScriptAndRejectionsNameTheRow()
    {
        var ml = new MLContext(seed: 1);
        var manifest = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("preprocess", "manifest.json"))).RootElement;
        var cases = manifest.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("kind").GetString() == "interleaved").ToList();
        var accepted = cases.Where(c => c.GetProperty("expected").ValueKind == JsonValueKind.String).Take(4).ToList();
        var rejected = cases.First(c => c.GetProperty("expected").ValueKind == JsonValueKind.Null);
        string Read(JsonElement c, string field) => File.ReadAllText(TestPaths.Fixture("preprocess", c.GetProperty(field).GetString()!));
        var data = ml.Data.LoadFromEnumerable(accepted.Select(c => new AbcRow { Abc = Read(c, "input") }));
        var interleaved = ml.Transforms.ConvertAbcToInterleaved().Fit(data).Transform(data)
            .GetColumn<ReadOnlyMemory<char>>("Music").Select(m => m.ToString()).ToList();
        for (int i = 0; i < accepted.Count; i++) Assert.AreEqual(Read(accepted[i], "expected"), interleaved[i], accepted[i].GetProperty("id").GetString());

        var withRejected = ml.Data.LoadFromEnumerable(new[] { new AbcRow { Abc = Read(accepted[0], "input") }, new AbcRow { Abc = Read(rejected, "input") } });
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Transforms.ConvertAbcToInterleaved(acceptPlainAbc: false).Fit(withRejected).Transform(withRejected).GetColumn<ReadOnlyMemory<char>>("Music").ToList());
        StringAssert.Contains(error.Message, "Row 1");
    }

    [TestMethod]
    public void CorruptMidiIsNamedByRowOrBecomesAMissingValue()
    {
        var ml = new MLContext(seed: 1);
        using var tmp = TestPaths.NewTempDir();
        string corrupt = Path.Combine(tmp.Path, "corrupt.mid");
        File.WriteAllBytes(corrupt, new byte[] { (byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0 });
        var withBad = Catalog().Take(3).ToList();
        withBad.Insert(2, new Piece { Id = "bad", Path = corrupt });
        var badData = ml.Data.LoadFromEnumerable(withBad);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Transforms.ConvertMidiToMtf().Fit(badData).Transform(badData).GetColumn<ReadOnlyMemory<char>>("Music").ToList());
        StringAssert.Contains(e.Message, "Row 2");
        StringAssert.Contains(e.Message, "corrupt.mid");

        var warnings = new List<string>();
        var lenient = ml.Transforms.ConvertClamp3(new Clamp3ConversionOptions
        {
            ConverterName = "midi2mtf", InputColumnName = "Path", OutputColumnName = "Music", ErrorMode = RowErrorMode.MissingValue, OnWarning = warnings.Add,
        });
        var values = lenient.Fit(badData).Transform(badData).GetColumn<ReadOnlyMemory<char>>("Music").Select(m => m.ToString()).ToList();
        Assert.AreEqual("", values[2]);
        Assert.IsTrue(values.Where((_, i) => i != 2).All(v => v.StartsWith("ticks_per_beat", StringComparison.Ordinal)));
        Assert.AreEqual(1, warnings.Count(w => w.Contains("corrupt.mid")));
    }

    private sealed class ModePrediction
    {
        public string PredictedMode { get; set; } = "";
    }

    [TestMethod]
    public void LinearProbeWithMlNetTrainerOnMidiEmbeddingsSavesAndReloads()
    {
        var ml = new MLContext(seed: 1);
        var pieces = Catalog();
        var data = ml.Data.LoadFromEnumerable(pieces);
        var pipeline = ml.Transforms.ConvertMidiToMtf()
            .Append(ml.Transforms.FeaturizeClamp3(ScoreOptions()))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Mode"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features", l1Regularization: 0, l2Regularization: 1e-4f))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedMode", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored, "Label");
        double majority = pieces.GroupBy(p => p.Mode).Max(g => g.Count()) / (double)pieces.Count;
        Assert.IsTrue(metrics.MicroAccuracy > majority,
            $"the probe fits its training set better than the majority class ({metrics.MicroAccuracy:F3} vs {majority:F3})");

        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "probe.zip");
        ml.Model.SaveClamp3(model, data.Schema, path);
        var loaded = new MLContext(seed: 3).Model.LoadClamp3(path, out var schema);
        var before = scored.GetColumn<ReadOnlyMemory<char>>("PredictedMode").Select(m => m.ToString()).ToList();
        var after = loaded.Transform(data).GetColumn<ReadOnlyMemory<char>>("PredictedMode").Select(m => m.ToString()).ToList();
        CollectionAssert.AreEqual(before, after);
        var engine = ml.Model.CreatePredictionEngine<Piece, ModePrediction>(loaded, schema);
        Assert.AreEqual(before[0], engine.Predict(pieces[0]).PredictedMode);
    }
}
