using ClaMP3.ML;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ClaMP3.ML.Scoring;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests.Scoring;

/// <summary>A production app that references only ClaMP3.ML + Microsoft.ML + Microsoft.ML.OnnxTransformer
/// (samples/ScoringApp, built by .ci/run) loads models saved here with mlContext.Model.Save — a featurizer followed by a
/// linear probe — in a child process, predicts what this process predicts, and loads no TorchSharp assembly.</summary>
[TestClass]
public sealed class ScoringAppProcessTests
{
    public sealed class LabeledText { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
    public sealed class TextRow { public string Text { get; set; } = ""; }
    public sealed class MusicRow { public string Music { get; set; } = ""; }
    public sealed class AudioRow { public string AudioPath { get; set; } = ""; }

    private static string App()
    {
        var dll = Path.Combine(TestPaths.RepoRoot, "samples", "ScoringApp", "bin", "Release", "net10.0", "clamp3-score.dll");
        if (!File.Exists(dll)) Assert.Inconclusive($"{dll} is not built (dotnet build ClaMP3.ML.sln -c Release).");
        return dll;
    }

    [TestMethod]
    public void TheAppHasNoTorchSharpInItsBuildFolder()
    {
        var folder = Path.GetDirectoryName(App())!;
        var torch = Directory.GetFiles(folder, "*orch*").Where(f => Path.GetFileName(f).Contains("TorchSharp", StringComparison.OrdinalIgnoreCase)
                                                                   || Path.GetFileName(f).StartsWith("libtorch", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(0, torch.Count, "the scoring app must not carry TorchSharp: " + string.Join(", ", torch));
    }

    [TestMethod]
    public void ATextFeaturizerPlusProbeSavedHerePredictsTheSameInAFreshProcessWithoutTorchSharp()
    {
        using var temp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 3);
        var rows = File.ReadLines(Path.Combine(TestPaths.RealData, "catalog.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new LabeledText
            {
                Text = e.GetProperty("title").GetString()!,
                Label = e.GetProperty("key").ValueKind == JsonValueKind.String && e.GetProperty("key").GetString()!.Contains("minor") ? "minor" : "major",
            }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        // The label → key mapping is fitted apart and not saved, so the saved model scores rows without a label column
        // (PredictedLabel → text uses the key names the trainer kept).
        var labeled = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(data).Transform(data);
        var scoring = Clamp3ScoringModel.Export(Modality.Text, Clamp3Fixture.Checkpoint, Clamp3Fixture.Config, Clamp3Fixture.Tokenizer);
        var pipeline = ml.Transforms.FeaturizeClamp3ForScoring(scoring)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "Features"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(labeled);
        var modelPath = Path.Combine(temp.Path, "text-probe.zip");
        var unlabeled = ml.Data.LoadFromEnumerable(rows.Select(r => new TextRow { Text = r.Text }));
        ml.Model.Save(model, unlabeled.Schema, modelPath);

        var scored = model.Transform(unlabeled);
        var expectedFeatures = scored.GetColumn<float[]>("Features").ToList();
        var expectedLabels = scored.GetColumn<string>("PredictedLabel").ToList();

        var (features, labels) = Run(temp.Path, modelPath, "Text", rows.Select(r => r.Text).ToList(), "Features,PredictedLabel");
        AssertSame(expectedFeatures, features, "text features");
        CollectionAssert.AreEqual(expectedLabels, labels, "predicted labels");
    }

    [TestMethod]
    public void ScoreAndAudioFeaturizersSavedHereGiveTheSameFeaturesInAFreshProcess()
    {
        using var temp = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 3);

        var scores = Directory.GetFiles(Path.Combine(TestPaths.RealData, "abc"), "*.abc").OrderBy(p => p, StringComparer.Ordinal).Take(6)
            .Select(File.ReadAllText).ToList();
        var scoreData = ml.Data.LoadFromEnumerable(scores.Select(s => new MusicRow { Music = s }));
        var scoreModel = Clamp3ScoringModel.Export(Modality.Symbolic, Clamp3Fixture.Checkpoint, Clamp3Fixture.Config).Fit(ml);
        var scorePath = Path.Combine(temp.Path, "score.zip");
        ml.Model.Save(scoreModel, scoreData.Schema, scorePath);
        var (scoreFeatures, _) = Run(temp.Path, scorePath, "Music", scores, "Features");
        AssertSame(scoreModel.Transform(scoreData).GetColumn<float[]>("Features").ToList(), scoreFeatures, "score features");

        var audio = Directory.GetFiles(Path.Combine(TestPaths.Fixture("mert-tiny"), "inputs")).Where(p => !p.Contains("short", StringComparison.Ordinal))
            .OrderBy(p => p, StringComparer.Ordinal).ToList();
        var audioData = ml.Data.LoadFromEnumerable(audio.Select(p => new AudioRow { AudioPath = p }));
        var audioPath = Path.Combine(temp.Path, "audio.zip");
        Clamp3ScoringModel.Export(Modality.Audio, Clamp3Fixture.Checkpoint, Clamp3Fixture.Config, mertDirectory: TestPaths.Fixture("mert-tiny"))
            .SaveAsMlNetModel(ml, audioPath);
        var audioModel = ml.Model.Load(audioPath, out _);
        var (audioFeatures, _) = Run(temp.Path, audioPath, "AudioPath", audio, "Features");
        AssertSame(audioModel.Transform(audioData).GetColumn<float[]>("Features").ToList(), audioFeatures, "audio features");
    }

    /// <summary>Runs the scoring app on a TSV of one input column; returns its Features and (if asked) PredictedLabel.</summary>
    private static (List<float[]> Features, List<string> Labels) Run(string folder, string modelPath, string column, IReadOnlyList<string> values, string columns)
    {
        var input = Path.Combine(folder, column + ".tsv");
        var tsv = new StringBuilder(column).Append('\n');
        foreach (var v in values) tsv.Append('"').Append(v.Replace("\"", "\"\"")).Append("\"\n");
        File.WriteAllText(input, tsv.ToString());
        var output = Path.Combine(folder, column + ".out.tsv");
        var run = ChildProcess.Run("dotnet", App(), modelPath, input, "--columns", columns, "--out", output);
        Assert.AreEqual(0, run.Code, "scoring app failed: " + run.Error);
        StringAssert.Contains(run.Error, "no TorchSharp assembly loaded");
        var lines = File.ReadAllLines(output);
        var header = lines[0].Split('\t');
        // One cell per value: Features.0, Features.1, … (DataViewTsv), then PredictedLabel as its text.
        var f = Enumerable.Range(0, header.Length).Where(i => header[i].StartsWith("Features.", StringComparison.Ordinal)).ToArray();
        int l = Array.IndexOf(header, "PredictedLabel");
        Assert.IsTrue(f.Length > 0, "no Features.* columns in " + lines[0]);
        var features = lines.Skip(1).Select(line => line.Split('\t')).Select(cells => f.Select(i => float.Parse(cells[i], CultureInfo.InvariantCulture)).ToArray()).ToList();
        var labels = l < 0 ? new List<string>() : lines.Skip(1).Select(line => line.Split('\t')[l]).ToList();
        Assert.AreEqual(values.Count, features.Count, "one output row per input row");
        return (features, labels);
    }

    private static void AssertSame(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        var comparison = new Clamp3Fixture.Comparison();
        for (int i = 0; i < expected.Count; i++) comparison.Add($"row {i}", expected[i], actual[i], atol: 1e-6, rtol: 1e-6);
        comparison.AssertAll(what + " (training process vs scoring app)");
    }
}
