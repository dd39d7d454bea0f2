# Writes ClaMP3.ML-tour.ipynb (the cells only; outputs come from running it: see README.md here).
import json
md = lambda s: {"cell_type": "markdown", "metadata": {}, "source": s}
code = lambda s: {"cell_type": "code", "execution_count": None, "metadata": {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}}, "outputs": [], "source": s}
cells = [
md("""# A tour of ClaMP3.ML

CLaMP 3 in a Polyglot notebook: embed the real corpus (text and interleaved ABC) into one space, look at it (a
similarity heatmap and a 2-D map), tag tunes without training (zero-shot), embed audio through MERT, and train a
linear probe with ML.NET. It runs on the small random-weight fixture checkpoints in `../shared` (the pictures show the
plumbing, not musical sense); set the paths in the third cell to the official weights for real results.

The packages come the Polyglot way, from a local feed that `dotnet pack ClaMP3.ML.sln -c Release -o artifacts/feed`
makes (CI makes it too; see `notebooks/README.md`)."""),
code("""#i "nuget: ../artifacts/feed"
#r "nuget: ClaMP3.ML.TorchSharp, 0.2.0"
#r "nuget: libtorch-cpu-linux-x64, 2.10.0"
#r "nuget: ScottPlot, 5.1.59\""""),
code("""using ClaMP3.ML.Inference;
using ClaMP3.ML.Preprocessing.Abc;
using ClaMP3.ML.Retrieval;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.DotNet.Interactive.Formatting;
// A notebook loads packages from the NuGet cache, where no build target fixes TorchSharp's native library on
// Debian 12-era Linux: this does it in-process (and nothing elsewhere).
TorchSharpNative.Prepare()"""),
code("""var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(Environment.CurrentDirectory, "..", "..", "shared"));
if (Environment.GetEnvironmentVariable("CLAMP3_SHARED") is { Length: > 0 } s) shared = s;
var tiny = System.IO.Path.Combine(shared, "fixtures", "clamp3-tiny");
string checkpoint = System.IO.Path.Combine(tiny, "clamp3_tiny.pth");                      // or weights_clamp3_saas_...pth
string tokenizer = System.IO.Path.Combine(shared, "fixtures", "tokenizer", "spm.model");    // or sentencepiece.bpe.model
string config = System.IO.Path.Combine(tiny, "config.json");                                // or null for the official checkpoint
string mertDir = System.IO.Path.Combine(shared, "fixtures", "mert-tiny");                   // or the m-a-p/MERT-v1-95M folder
string device = "cpu"; // "cuda" with a CUDA libtorch package instead of the CPU one (README, "GPU")
var clamp3 = Clamp3Embedder.Load(new Clamp3EmbedderOptions(checkpoint) { TokenizerPath = tokenizer, ConfigPath = config, Device = device });
$"{clamp3.GlobalDimension}-d shared space\""""),
md("""## The corpus: 25 ABC tunes and their descriptions
Plain ABC becomes interleaved ABC (our plain-ABC addition accepts the 19 tunes the official converter rejects)."""),
code("""var real = System.IO.Path.Combine(shared, "data", "real");
public record Tune(string Id, string Title, string Key, string Rhythm, string Description, string Abc);
var tunes = System.IO.File.ReadLines(System.IO.Path.Combine(real, "catalog.jsonl"))
    .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
    .Where(e => e.GetProperty("abc").ValueKind == System.Text.Json.JsonValueKind.String)
    .Select(e => new Tune(e.GetProperty("id").GetString(), e.GetProperty("title").GetString(), e.GetProperty("key").GetString(),
        e.GetProperty("rhythm").ValueKind == System.Text.Json.JsonValueKind.String ? e.GetProperty("rhythm").GetString() : "",
        e.GetProperty("description").GetString(),
        AbcInterleaver.Convert(System.IO.File.ReadAllText(System.IO.Path.Combine(real, e.GetProperty("abc").GetString())), acceptPlainAbc: true).Text))
    .ToList();
var text = clamp3.EmbedTexts(tunes.Select(t => t.Description).ToList());
var music = clamp3.EmbedScores(tunes.Select(t => t.Abc).ToList());
tunes.Take(5).Select(t => new { t.Id, t.Key, t.Rhythm, Bars = t.Abc.Count(c => c == '\\n') })"""),
md("""## Text × music similarity heatmap
Row *i*, column *j*: cosine between description *i* and tune *j*; a trained model puts its largest values on the
diagonal."""),
code("""// Shows a ScottPlot figure as a PNG in the output (and keeps the bytes for saving).
var figures = new Dictionary<string, byte[]>();
void Show(string name, ScottPlot.Plot plot, int width = 720, int height = 560)
{
    var png = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    figures[name] = png;
    var outDir = Environment.GetEnvironmentVariable("CLAMP3_NOTEBOOK_FIGURES");
    if (!string.IsNullOrEmpty(outDir)) System.IO.File.WriteAllBytes(System.IO.Path.Combine(outDir, name + ".png"), png);
    display(HTML($"<img alt=\\"{name}\\" src=\\"data:image/png;base64,{Convert.ToBase64String(png)}\\" />"));
}
var sim = new double[tunes.Count, tunes.Count];
for (int i = 0; i < tunes.Count; i++)
    for (int j = 0; j < tunes.Count; j++)
        sim[i, j] = Similarity.Cosine(text[i].Row(0), music[j].Row(0));
var heat = new ScottPlot.Plot();
var hm = heat.Add.Heatmap(sim);
hm.Colormap = new ScottPlot.Colormaps.Viridis();
heat.Add.ColorBar(hm);
heat.Title("Text × music cosine similarity, 25 tunes (random-weight fixture)");
heat.XLabel("tune (ABC)"); heat.YLabel("description");
Show("similarity-heatmap", heat);"""),
md("""## A 2-D map of the shared space (PCA)
Texts (circles) and tunes (squares) projected on the two main axes of all 50 embeddings; a line joins each pair. With
the random-weight fixture the two modalities sit in separate clusters along PC 1 (a "modality gap", which contrastive
training narrows but does not close); with the official weights, pairs move together."""),
code("""// PCA by power iteration on the covariance (50 points: no library needed).
var points = text.Concat(music).Select(f => f.Row(0).ToArray().Select(v => (double)v).ToArray()).ToList();
int d = points[0].Length;
var mean = Enumerable.Range(0, d).Select(k => points.Average(p => p[k])).ToArray();
var centered = points.Select(p => p.Select((v, k) => v - mean[k]).ToArray()).ToList();
double[] Axis(double[] orthogonalTo)
{
    var v = Enumerable.Range(0, d).Select(k => 1.0 / (k + 1)).ToArray();
    for (int it = 0; it < 200; it++)
    {
        var w = new double[d];
        foreach (var p in centered) { double dot = p.Zip(v).Sum(t => t.First * t.Second); for (int k = 0; k < d; k++) w[k] += dot * p[k]; }
        if (orthogonalTo != null) { double o = w.Zip(orthogonalTo).Sum(t => t.First * t.Second); for (int k = 0; k < d; k++) w[k] -= o * orthogonalTo[k]; }
        double n = Math.Sqrt(w.Sum(x => x * x)); v = w.Select(x => x / n).ToArray();
    }
    return v;
}
var pc1 = Axis(null); var pc2 = Axis(pc1);
var xy = centered.Select(p => (X: p.Zip(pc1).Sum(t => t.First * t.Second), Y: p.Zip(pc2).Sum(t => t.First * t.Second))).ToList();
var map = new ScottPlot.Plot();
for (int i = 0; i < tunes.Count; i++)
{
    var line = map.Add.Line(xy[i].X, xy[i].Y, xy[tunes.Count + i].X, xy[tunes.Count + i].Y);
    line.LineColor = ScottPlot.Colors.Gray.WithAlpha(0.4);
}
var texts = map.Add.ScatterPoints(xy.Take(tunes.Count).Select(p => p.X).ToArray(), xy.Take(tunes.Count).Select(p => p.Y).ToArray());
texts.MarkerShape = ScottPlot.MarkerShape.FilledCircle; texts.MarkerSize = 9; texts.LegendText = "description";
var scores = map.Add.ScatterPoints(xy.Skip(tunes.Count).Select(p => p.X).ToArray(), xy.Skip(tunes.Count).Select(p => p.Y).ToArray());
scores.MarkerShape = ScottPlot.MarkerShape.FilledSquare; scores.MarkerSize = 9; scores.LegendText = "tune (ABC)";
for (int i = 0; i < tunes.Count; i++) { var label = map.Add.Text(tunes[i].Id, xy[tunes.Count + i].X, xy[tunes.Count + i].Y); label.LabelFontSize = 9; }
map.ShowLegend(); map.Title("The shared space, first two principal components"); map.XLabel("PC 1"); map.YLabel("PC 2");
Show("embedding-map", map, 900, 650);"""),
md("""## Zero-shot tagging
No training: each tune gets the label whose description is nearest in the shared space."""),
code("""var labels = new[] { "a lively jig in 6/8", "a reel", "a hornpipe", "a slow air", "a march", "a dance tune for a wedding" };
var labelEmbeddings = clamp3.EmbedTexts(labels);
tunes.Select((t, i) => {
    var scores = labelEmbeddings.Select(l => Similarity.Cosine(music[i].Row(0), l.Row(0))).ToArray();
    int best = Array.IndexOf(scores, scores.Max());
    return new { t.Id, t.Rhythm, Predicted = labels[best], Cosine = Math.Round(scores[best], 3) };
})"""),
md("""## Audio: MERT features → the audio encoder
The 7 WAV renders of the corpus through MERT (here the `mert-tiny` fixture; MERT-v1-95M for real use), then into
the same space; the table ranks the descriptions for each recording."""),
code("""var mert = MertExtractor.Load(mertDir, device);
var audioFiles = System.IO.Directory.GetFiles(System.IO.Path.Combine(real, "audio"), "*.wav").OrderBy(f => f, StringComparer.Ordinal).ToList();
var audio = audioFiles.Select(f => clamp3.EmbedAudioFeatures(mert.ExtractFromFile(f))).ToList();
audioFiles.Select((f, a) => {
    var ranked = tunes.Select((t, i) => (t.Id, Cos: Similarity.Cosine(audio[a].Row(0), text[i].Row(0)))).OrderByDescending(p => p.Cos).ToList();
    var id = System.IO.Path.GetFileNameWithoutExtension(f);
    return new { Recording = id, Windows = mert.ExtractFromFile(f).Rows, Nearest = ranked[0].Id, RankOfOwnText = ranked.FindIndex(p => p.Id == id) + 1 };
})"""),
md("""## A linear probe with ML.NET: major or minor?
ML.NET's own trainer on the 24-d music embeddings (the label from each tune's key); the confusion matrix is on a
held-out third (7 tunes: a small demo, not a benchmark). On random-weight features the probe learns little, and
may predict one class for everything: that is what this picture is for, seeing it at a glance."""),
code("""public class Row { public float[] Features { get; set; } public string Mode { get; set; } }
var ml = new MLContext(seed: 1);
var rows = tunes.Select((t, i) => new Row { Features = music[i].Row(0).ToArray(), Mode = t.Key.Contains("minor") || t.Key.Contains("Dorian") || t.Key.Contains("Phrygian") ? "minor-ish" : "major-ish" }).ToList();
var schema = SchemaDefinition.Create(typeof(Row));
schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, clamp3.GlobalDimension);
var data = ml.Data.LoadFromEnumerable(rows, schema);
var split = ml.Data.TrainTestSplit(data, testFraction: 0.33, seed: 1);
var probe = ml.Transforms.Conversion.MapValueToKey("Label", "Mode")
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
    .Fit(split.TrainSet);
var metrics = ml.MulticlassClassification.Evaluate(probe.Transform(split.TestSet));
var cm = metrics.ConfusionMatrix;
var counts = new double[cm.NumberOfClasses, cm.NumberOfClasses];
for (int r = 0; r < cm.NumberOfClasses; r++) for (int c = 0; c < cm.NumberOfClasses; c++) counts[r, c] = cm.Counts[r][c];
var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
probe.Transform(split.TestSet).Schema["Label"].GetKeyValues(ref keyNames);
var names = keyNames.DenseValues().Select(v => v.ToString()).ToArray();
var cmPlot = new ScottPlot.Plot();
var cmMap = cmPlot.Add.Heatmap(counts);
cmMap.Colormap = new ScottPlot.Colormaps.Blues();
cmPlot.Add.ColorBar(cmMap);
double most = counts.Cast<double>().Max();
for (int r = 0; r < names.Length; r++) for (int c = 0; c < names.Length; c++)
{
    var t = cmPlot.Add.Text(counts[r, c].ToString(), c, names.Length - 1 - r);
    t.LabelFontSize = 22; t.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
    t.LabelFontColor = counts[r, c] < most / 2 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;   // Blues: low counts are dark
}
cmPlot.Axes.Bottom.SetTicks(Enumerable.Range(0, names.Length).Select(i => (double)i).ToArray(), names);
cmPlot.Axes.Left.SetTicks(Enumerable.Range(0, names.Length).Select(i => (double)(names.Length - 1 - i)).ToArray(), names);
cmPlot.Title($"Linear probe confusion matrix (held-out, micro accuracy {metrics.MicroAccuracy:F2})");
cmPlot.XLabel("predicted"); cmPlot.YLabel("actual");
Show("probe-confusion-matrix", cmPlot, 640, 520);
$"held-out micro accuracy {metrics.MicroAccuracy:F3} on {cm.Counts.Sum(r => r.Sum())} tunes\""""),
]
nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
      "language_info": {"name": "polyglot-notebook"}, "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"aliases": [], "name": "csharp"}]}}},
      "nbformat": 4, "nbformat_minor": 4}
json.dump(nb, open("ClaMP3.ML-tour.ipynb", "w"), indent=1, ensure_ascii=False)
