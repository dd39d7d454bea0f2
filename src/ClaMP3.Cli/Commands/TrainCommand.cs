using System.CommandLine;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// <c>clamp3 train JSONL DATA_DIR --tokenizer FILE (--checkpoint FILE | --config FILE) [--modality symbolic|audio]</c>: the
/// official <c>train_clamp3_symbolic.py</c> / <c>train_clamp3_audio.py</c> on one device. Ctrl+C finishes the current step
/// and writes a resumable <c>latest.pth</c> (resume with <c>--resume OUTPUT/latest.pth</c>: the run continues mid-epoch where it
/// stopped, with the losses of an uninterrupted run of the same <c>--seed</c>).
/// </summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Create()
    {
        var jsonl = new Argument<string>("JSONL") { Description = "M4-RAG-style JSON lines (id, filepaths, analysis, …) of the training items." };
        var dataDir = new Argument<string>("DATA_DIR") { Description = "Folder the 'filepaths' are relative to (.abc/.mtf for symbolic, MERT .npy for audio)." };
        var evalJsonl = new Option<string?>("--eval-jsonl") { Description = "Evaluation items (default: --eval-split of the training items)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Starting weights (official .pth / safetensors)." };
        var config = new Option<string?>("--config") { Description = "config.json (required without --checkpoint: random init)." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "XLM-R sentencepiece.bpe.model.", Required = true };
        var modality = new Option<string>("--modality") { Description = "symbolic or audio (training stage).", DefaultValueFactory = _ => "symbolic" };
        var output = new Option<string>("--output") { Description = "Checkpoint folder.", DefaultValueFactory = _ => "clamp3-training" };
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint written by this command." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 100 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 256 };
        var subBatch = new Option<int?>("--sub-batch") { Description = "Gradient-cache sub-batch size (memory of this many pairs, loss over the whole batch)." };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-5 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps (0: constant lr, what the official scripts actually do).", DefaultValueFactory = _ => 0 };
        var freezeText = new Option<bool>("--freeze-text");
        var noTextDropout = new Option<bool>("--no-text-dropout");
        var evalSplit = new Option<double>("--eval-split") { DefaultValueFactory = _ => 0.01 };
        var saveEvery = new Option<int>("--save-every") { DefaultValueFactory = _ => 5 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var bf16 = new Option<bool>("--bf16") { Description = "Mixed precision: forward/backward in bfloat16, float32 master weights, optimizer state, loss and checkpoints." };
        var dropout = new Option<double>("--dropout") { Description = "Hidden and attention dropout while training (official 0.1; 0: off).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Drives every random choice (split, shuffles, text dropout, truncation, init, dropout): same seed, same losses, also across a resume.", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Contrastive training like code/train_clamp3_{symbolic,audio}.py, on one device.")
        {
            jsonl, dataDir, evalJsonl, checkpoint, config, tokenizer, modality, output, resume, epochs, batch, subBatch, lr, warmup,
            freezeText, noTextDropout, evalSplit, saveEvery, device, bf16, dropout, seed,
        };
        command.SetAction(parse =>
        {
            Modality stage;
            switch (parse.GetValue(modality)!.ToLowerInvariant())
            {
                case "symbolic": stage = Modality.Symbolic; break;
                case "audio": stage = Modality.Audio; break;
                default: Console.Error.WriteLine("error: --modality is symbolic or audio."); return 2;
            }
            var options = new Clamp3TrainerOptions
            {
                CheckpointPath = parse.GetValue(checkpoint), ConfigPath = parse.GetValue(config), TokenizerPath = parse.GetValue(tokenizer)!,
                MusicModality = stage, OutputDirectory = parse.GetValue(output)!, ResumeFrom = parse.GetValue(resume),
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), SubBatchSize = parse.GetValue(subBatch),
                LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup), FreezeText = parse.GetValue(freezeText),
                TextDropout = !parse.GetValue(noTextDropout), EvalSplit = parse.GetValue(evalSplit), SaveEvery = parse.GetValue(saveEvery),
                Device = parse.GetValue(device)!, BFloat16 = parse.GetValue(bf16), Dropout = parse.GetValue(dropout), Seed = parse.GetValue(seed),
            };
            return Run(parse.GetValue(jsonl)!, parse.GetValue(dataDir)!, parse.GetValue(evalJsonl), options);
        });
        return command;
    }

    internal static int Run(string jsonl, string dataDir, string? evalJsonl, Clamp3TrainerOptions options)
    {
        void Log(string message) => Console.Error.WriteLine(message);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl+C kills the process
            e.Cancel = true;
            Console.Error.WriteLine("Ctrl+C: finishing the current step and writing a resumable checkpoint…");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            // The same config the trainer will build the model from (explicit, sibling config.json, or inferred).
            int audioDim = options.MusicModality == Modality.Audio ? Clamp3ContrastiveTrainer.ResolveConfig(options).AudioFeatureDim : 0;
            int skippedRows = 0;
            void Skip(string message) { skippedRows++; Log(message); }
            var items = M4RagJsonl.Read(jsonl, Skip);
            var train = M4RagJsonl.ToPairs(items, dataDir, options.MusicModality, audioDim, m => { if (m.Contains("skipped")) Skip(m); else Log(m); });
            var eval = evalJsonl is null ? null : M4RagJsonl.ToPairs(M4RagJsonl.Read(evalJsonl, Log), dataDir, options.MusicModality, audioDim, Log);
            Console.WriteLine($"{train.Count} training pairs{(eval is null ? "" : $", {eval.Count} evaluation pairs")}; device {options.Device}");
            var progress = new ConsoleProgress(options.Device);
            var result = Clamp3TrainingLoop.Train(train, options, eval, progress, Log, cts.Token);
            Console.WriteLine($"{(result.Cancelled ? "Stopped" : "Done")}: {result.EpochsDone} epochs, best epoch {result.BestEpoch} (eval loss {result.MinEvalLoss:F4}), {result.SkippedPairs + skippedRows} rows skipped");
            Console.WriteLine($"best: {result.BestCheckpoint}\nlatest (resume): {result.LatestCheckpoint}");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or Clamp3ConfigException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Synchronous (System.Progress posts to the thread pool and would reorder lines).</summary>
    private sealed class ConsoleProgress(string device) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => Console.WriteLine($"{value}; {DeviceStatus.Describe(device)}");
    }
}
