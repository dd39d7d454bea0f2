// QuickStart: fine-tune a small CLaMP 3 on the real corpus in ../shared/data/real (ABC tunes → interleaved ABC, MIDI → MTF,
// with their text descriptions), then search music by text and compare the retrieval MRR before and after training.
//   dotnet run --project samples/QuickStart -c Release [-- --epochs 200 --output DIR --minutes N --device cpu|cuda]
// Training is bounded by --epochs (the same result on any machine); --minutes adds an optional wall-clock cap.
using System.Diagnostics;
using System.Text.Json;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Preprocessing.Abc;
using ClaMP3.ML.Preprocessing.Midi;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Tokenization;
using ClaMP3.ML.Training;

double? minutes = null;
int epochs = 200; // about 30 s on an idle 2-core machine
string device = "cpu"; // "cuda" needs a CUDA libtorch package instead of libtorch-cpu-linux-x64 (README, "GPU")
// A fresh folder per run, so that two runs at once never share (or delete) each other's checkpoints.
string output = Path.Combine(Path.GetTempPath(), "clamp3-quickstart-" + Guid.NewGuid().ToString("N"));
if (args.Length % 2 != 0) { Console.Error.WriteLine($"option {args[^1]} needs a value (use --epochs N, --output DIR, --minutes N, --device cpu|cuda)"); return 2; }
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--minutes": minutes = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--epochs": epochs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--output": output = Path.GetFullPath(args[i + 1]); break;
        case "--device": device = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]} (use --epochs N, --output DIR, --minutes N, --device cpu|cuda)"); return 2;
    }
}
if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
{
    Console.Error.WriteLine($"{output} is not empty; give an empty or new --output folder.");
    return 2;
}

// ../shared relative to the repository root (the folder holding ClaMP3.ML.sln).
var root = new DirectoryInfo(AppContext.BaseDirectory);
while (root is not null && !File.Exists(Path.Combine(root.FullName, "ClaMP3.ML.sln"))) root = root.Parent;
if (root is null) { Console.Error.WriteLine("Run from inside the ClaMP3.ML repository (ClaMP3.ML.sln not found above the program)."); return 2; }
string shared = Path.GetFullPath(Path.Combine(root.FullName, "..", "shared"));
string corpus = Path.Combine(shared, "data", "real");
string checkpoint = Path.Combine(shared, "fixtures", "clamp3-tiny", "clamp3_tiny.pth");
string config = Path.Combine(shared, "fixtures", "clamp3-tiny", "config.json");
string tokenizer = Path.Combine(shared, "fixtures", "tokenizer", "spm.model");
foreach (var needed in new[] { corpus, checkpoint, config, tokenizer })
    if (!File.Exists(needed) && !Directory.Exists(needed)) { Console.Error.WriteLine($"Missing {needed} (the shared fixtures belong beside the repository)."); return 2; }
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));

// 1. The corpus: one text per piece, and its scores (interleaved ABC where the official preprocessing accepts the tune, MTF from MIDI).
var pairs = new List<TrainingPair>();
int rejected = 0;
foreach (var line in File.ReadLines(Path.Combine(corpus, "catalog.jsonl")))
{
    using var doc = JsonDocument.Parse(line);
    var item = doc.RootElement;
    string id = item.GetProperty("id").GetString()!;
    string? Field(string name) => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    var text = Field("text") is { } textFile ? File.ReadAllText(Path.Combine(corpus, textFile)) : Field("description") ?? "";
    var scores = new List<string>();
    if (Field("abc") is { } abc)
    {
        var outcome = AbcInterleaver.Run(File.ReadAllText(Path.Combine(corpus, abc)));
        if (outcome.Text is { } interleaved) scores.Add(interleaved); else rejected++;
    }
    if (Field("midi") is { } midi) scores.Add(MidiToMtf.Convert(File.ReadAllBytes(Path.Combine(corpus, midi)), m3Compatible: true));
    // The official .txt reading (lines de-duplicated, joined with </s>), so training sees what search embeds.
    if (scores.Count > 0) pairs.Add(new TrainingPair(id, XlmRobertaTokenizer.BuildTextInput(text), scores));
}
Console.WriteLine($"Corpus: {pairs.Count} pieces with text and music ({rejected} ABC tunes rejected by the interleaving, MIDI used instead) from {corpus}");

var queries = pairs.Select(p => p.Text).ToList();
RetrievalMetrics Evaluate(string weights, string? configPath, bool show)
{
    using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(weights) { ConfigPath = configPath, TokenizerPath = tokenizer, Device = device });
    var text = embedder.EmbedTexts(queries);
    var music = embedder.EmbedScores(pairs.Select(p => p.Scores![0]).ToList());
    var metrics = RetrievalEvaluator.Evaluate(
        pairs.Select((p, i) => (p.Id, text[i].Values)).ToList(),
        pairs.Select((p, i) => (p.Id, music[i].Values)).ToList());
    if (show)
    {
        var index = EmbeddingIndex.Build(pairs.Select((p, i) => (p.Id, music[i].Values)));
        foreach (int q in new[] { 0, pairs.Count / 2, pairs.Count - 1 })
        {
            var query = queries[q].Replace("</s>", " ");
            Console.WriteLine($"  \"{(query.Length > 70 ? query[..70] + "…" : query)}\"");
            foreach (var hit in index.Search(text[q].Values, 3))
                Console.WriteLine($"      {(hit.Id == pairs[q].Id ? "✔" : " ")} {hit.Id,-36} cos {hit.Similarity:F3}");
        }
    }
    return metrics;
}

Console.WriteLine("\nText → music search with the starting weights (clamp3-tiny):");
var before = Evaluate(checkpoint, config, show: true);
Console.WriteLine($"  MRR {before.MeanReciprocalRank:F3}, Hit@1 {before.HitAt1:F3} (chance MRR ≈ {Enumerable.Range(1, pairs.Count).Sum(r => 1.0 / r) / pairs.Count:F3})");

// 2. Contrastive training. The official recipe (raw features, logit scale 1, lr 1e-5) needs far more steps than a few
// minutes on a CPU give; this demo uses the trainer's CLIP-style option (normalised features, learnable temperature), a
// higher lr, and the evaluation inputs themselves (no random truncation), i.e. held-in retrieval.
var options = new Clamp3TrainerOptions
{
    CheckpointPath = checkpoint, ConfigPath = config, TokenizerPath = tokenizer, MusicModality = Modality.Symbolic,
    OutputDirectory = output, Epochs = epochs, BatchSize = 8, LearningRate = 1e-3, EvalSplit = 0, SaveEvery = 0,
    Loss = new ContrastiveLossOptions { NormalizeFeatures = true, LearnableTemperature = true },
    RandomTruncation = false, TextDropout = false,
    MaxDuration = minutes is { } m ? TimeSpan.FromMinutes(m) : null, Seed = 1, Device = device,
};
Console.WriteLine($"\nTraining for {epochs} epochs{(minutes is { } cap ? $" (at most {cap} min)" : "")} on {device} (batch {options.BatchSize}, lr {options.LearningRate})…");
var clock = Stopwatch.StartNew();
var progress = new EpochPrinter();
var result = Clamp3TrainingLoop.Train(pairs, options, progress: progress);
Console.WriteLine($"  {result.EpochsDone} epochs in {clock.Elapsed.TotalSeconds:F0} s, {progress.LastSamplesPerSecond:F1} samples/s; training loss {result.TrainLosses.FirstOrDefault():F3} → {result.TrainLosses.LastOrDefault():F3}");

Console.WriteLine("\nText → music search after training:");
var after = Evaluate(result.LatestCheckpoint, Path.Combine(output, "config.json"), show: true);
Console.WriteLine($"  MRR {after.MeanReciprocalRank:F3}, Hit@1 {after.HitAt1:F3}");
Console.WriteLine($"\nRetrieval MRR (held-in, {pairs.Count} pieces): {before.MeanReciprocalRank:F3} before → {after.MeanReciprocalRank:F3} after training. Checkpoint: {result.LatestCheckpoint}");
return 0;

sealed class EpochPrinter : IProgress<TrainingProgress>
{
    public double LastSamplesPerSecond { get; private set; }
    public void Report(TrainingProgress p)
    {
        if (p.Phase == "train") { LastSamplesPerSecond = p.SamplesPerSecond; return; }
        if (p.Epoch == 1 || p.Epoch % 5 == 0) Console.WriteLine($"  epoch {p.Epoch,3}: loss {p.Loss:F3} ({p.Elapsed.TotalSeconds:F0} s)");
    }
}
