using System.CommandLine;
using ClaMP3.ML;
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
        var jsonl = new Argument<string>("JSONL")
        {
            Description = "M4-RAG-style JSON lines, one training item per line: \"id\", \"filepaths\" (music files relative to DATA_DIR) and text fields " +
                          "(title, artists, genres, description, analysis, …, translations) that text dropout draws from. docs/cli.md#train shows how to make one from ../shared/data/real.",
        };
        var dataDir = new Argument<string>("DATA_DIR") { Description = "Folder the 'filepaths' are relative to (interleaved .abc / .mtf for symbolic, MERT .npy for audio)." };
        var evalJsonl = new Option<string?>("--eval-jsonl") { Description = "Evaluation items (default: --eval-split of the training items)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Starting weights (official .pth / safetensors); give this or --config." };
        var config = new Option<string?>("--config") { Description = "config.json of the model (random init when --checkpoint is not given)." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "XLM-R sentencepiece.bpe.model.", Required = true };
        var modality = new Option<string>("--modality") { Description = "symbolic or audio: the training stage (train_clamp3_symbolic.py / train_clamp3_audio.py).", DefaultValueFactory = _ => "symbolic" };
        var output = new Option<string>("--output") { Description = "Checkpoint folder (best.pth, latest.pth, epoch_N.pth).", DefaultValueFactory = _ => "clamp3-training" };
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint written by this command (e.g. OUTPUT/latest.pth)." };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs (official 100).", DefaultValueFactory = _ => 100 };
        var batch = new Option<int>("--batch-size") { Description = "Pairs per optimizer step, one softmax over all of them (official 256 per GPU).", DefaultValueFactory = _ => 256 };
        var subBatch = new Option<int?>("--sub-batch") { Description = "Gradient-cache sub-batch size (memory of this many pairs, loss over the whole batch)." };
        var lr = new Option<double>("--lr") { Description = "Learning rate (official 1e-5).", DefaultValueFactory = _ => 1e-5 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps (0: constant lr, what the official scripts actually do).", DefaultValueFactory = _ => 0 };
        var freezeText = new Option<bool>("--freeze-text") { Description = "Freeze the text encoder (official FREEZE_TEXT)." };
        var noTextDropout = new Option<bool>("--no-text-dropout") { Description = "Use the whole text of an item instead of a random subset of its fields (official TEXT_DROPOUT off)." };
        var noTruncation = new Option<bool>("--no-random-truncation") { Description = "Cut long scores at the head only instead of a random head/tail/middle." };
        var normalized = new Option<bool>("--normalized-features")
        {
            Description = "CLIP-style recipe the QuickStart uses: L2-normalised features and a learnable temperature (the official recipe, raw features " +
                          "with logit scale 1, barely moves in a few CPU minutes). Combine with a higher --lr, e.g. 1e-3.",
        };
        var evalSplit = new Option<double>("--eval-split") { Description = "Fraction of the items held out for evaluation without --eval-jsonl, in [0, 1) (official 0.01).", DefaultValueFactory = _ => 0.01 };
        var saveEvery = new Option<int>("--save-every") { Description = "Write epoch_N.pth every N epochs (0: never; official 5).", DefaultValueFactory = _ => 5 };
        var maxMinutes = new Option<double?>("--max-minutes") { Description = "Stop after this many minutes (the current step finishes, then a resumable checkpoint is written)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var bf16 = new Option<bool>("--bf16") { Description = "Mixed precision: forward/backward in bfloat16, float32 master weights, optimizer state, loss and checkpoints." };
        var dropout = new Option<double>("--dropout") { Description = "Hidden and attention dropout while training (official 0.1; 0: off).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Drives every random choice (split, shuffles, text dropout, truncation, init, dropout): same seed, same losses, also across a resume.", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Contrastive training like code/train_clamp3_{symbolic,audio}.py, on one device.")
        {
            jsonl, dataDir, evalJsonl, checkpoint, config, tokenizer, modality, output, resume, epochs, batch, subBatch, lr, warmup,
            freezeText, noTextDropout, noTruncation, normalized, evalSplit, saveEvery, maxMinutes, device, bf16, dropout, seed,
        };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            var stage = parse.GetValue(modality)!.ToLowerInvariant() switch
            {
                "symbolic" => Modality.Symbolic,
                "audio" => Modality.Audio,
                _ => throw new UsageException("--modality is symbolic or audio."),
            };
            var options = new Clamp3TrainerOptions
            {
                CheckpointPath = parse.GetValue(checkpoint), ConfigPath = parse.GetValue(config), TokenizerPath = parse.GetValue(tokenizer)!,
                MusicModality = stage, OutputDirectory = parse.GetValue(output)!, ResumeFrom = parse.GetValue(resume),
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), SubBatchSize = parse.GetValue(subBatch),
                LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup), FreezeText = parse.GetValue(freezeText),
                TextDropout = !parse.GetValue(noTextDropout), RandomTruncation = !parse.GetValue(noTruncation),
                EvalSplit = parse.GetValue(evalSplit), SaveEvery = parse.GetValue(saveEvery),
                MaxDuration = parse.GetValue(maxMinutes) is { } m ? TimeSpan.FromMinutes(m) : null,
                Device = parse.GetValue(device)!, Precision = parse.GetValue(bf16) ? Clamp3Precision.BFloat16 : Clamp3Precision.Float32,
                Dropout = parse.GetValue(dropout), Seed = parse.GetValue(seed),
            };
            if (parse.GetValue(normalized)) options.Loss = new ContrastiveLossOptions { NormalizeFeatures = true, LearnableTemperature = true };
            if (options.CheckpointPath is null && options.ConfigPath is null && options.ResumeFrom is null)
                throw new UsageException("give --checkpoint (starting weights) or --config (random init).");
            if (options.FindProblem() is { } problem) throw new UsageException(WithFlagNames(problem));
            return Run(parse.GetValue(jsonl)!, parse.GetValue(dataDir)!, parse.GetValue(evalJsonl), options, stdout, stderr);
        });
        return command;
    }

    /// <summary>Reads the JSONL and trains (<see cref="M4RagTrainingSet"/>); bad paths, files and configs are usage
    /// errors (exit 2) in the words of the command line. Ctrl+C stops after the current step with a resumable checkpoint.</summary>
    private static int Run(string jsonl, string dataDir, string? evalJsonl, Clamp3TrainerOptions options, TextWriter stdout, TextWriter stderr)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl+C kills the process
            e.Cancel = true;
            stderr.WriteLine("Ctrl+C: finishing the current step and writing a resumable checkpoint…");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            M4RagTrainingSet.Read(jsonl, dataDir, evalJsonl, options, stderr.WriteLine).Train(options, stdout.WriteLine, stderr.WriteLine, cts.Token);
            return CliErrors.Ok;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or Clamp3ConfigException)
        {
            throw new UsageException(WithFlagNames(e.Message), e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static readonly (string Property, string Flag)[] FlagNames =
    [
        ("CheckpointPath", "--checkpoint"), ("ConfigPath", "--config"), ("TokenizerPath", "--tokenizer"), ("ResumeFrom", "--resume"),
        ("MusicModality", "--modality"), ("SubBatchSize", "--sub-batch"), ("BatchSize", "--batch-size"), ("Epochs", "--epochs"),
        ("EvalSplit", "--eval-split"), ("Dropout", "--dropout"), ("LearningRate", "--lr"), ("WarmupSteps", "--warmup"), ("OutputDirectory", "--output"),
        ("SaveEvery", "--save-every"), ("MaxDuration", "--max-minutes"),
    ];

    /// <summary>A library message (<see cref="Clamp3TrainerOptions.FindProblem"/>, an exception) with its property names
    /// replaced by the flags that set them.</summary>
    internal static string WithFlagNames(string message)
    {
        foreach (var (property, flag) in FlagNames)
            message = System.Text.RegularExpressions.Regex.Replace(message, $@"\b{property}\b", flag);
        return message;
    }
}
