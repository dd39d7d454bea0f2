using ClaMP3.ML.Inference;

namespace ClaMP3.ML.Training;

/// <summary>The pairs of an M4-RAG-style JSONL run (what <c>clamp3 train</c> trains on) and what was left out while
/// reading: lines that are not items, and items without a readable music file or any text.</summary>
/// <param name="TrainPairs">The training pairs.</param>
/// <param name="EvalPairs">The evaluation pairs of an evaluation JSONL; null without one (the trainer then holds out
/// <see cref="Clamp3TrainerOptions.EvalSplit"/> of the training pairs).</param>
/// <param name="BadLines">Lines of the training JSONL that are not items.</param>
/// <param name="SkippedItems">Training items without usable music or text.</param>
/// <param name="BadEvalLines">Lines of the evaluation JSONL that are not items.</param>
/// <param name="SkippedEvalItems">Evaluation items without usable music or text.</param>
public sealed record M4RagTrainingSet(IReadOnlyList<TrainingPair> TrainPairs, IReadOnlyList<TrainingPair>? EvalPairs,
    int BadLines, int SkippedItems, int BadEvalLines = 0, int SkippedEvalItems = 0)
{
    /// <summary>Every line and item left out, training and evaluation together.</summary>
    public int Skipped => BadLines + SkippedItems + BadEvalLines + SkippedEvalItems;

    /// <summary>Reads <paramref name="jsonl"/> (and <paramref name="evalJsonl"/> when given) into pairs for the stage of
    /// <paramref name="options"/>; music paths are relative to <paramref name="dataDirectory"/>. MERT features are cut
    /// into rows as wide as the audio input of the config the run will build (<see cref="Clamp3TrainerOptions.ConfigPath"/>,
    /// else the one beside or inferred from the starting checkpoint). Each line or item left out is one
    /// <paramref name="log"/> line.</summary>
    /// <exception cref="FileNotFoundException">A JSONL file does not exist.</exception>
    public static M4RagTrainingSet Read(string jsonl, string dataDirectory, string? evalJsonl, Clamp3TrainerOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        int audioDim = options.MusicModality == Modality.Audio ? Clamp3ContrastiveTrainer.ResolveConfig(options).AudioFeatureDim : 0;
        var (train, badLines, skippedItems) = ReadPairs(jsonl, dataDirectory, options.MusicModality, audioDim, log);
        if (evalJsonl is null) return new(train, null, badLines, skippedItems);
        var (eval, badEvalLines, skippedEvalItems) = ReadPairs(evalJsonl, dataDirectory, options.MusicModality, audioDim, log);
        return new(train, eval, badLines, skippedItems, badEvalLines, skippedEvalItems);
    }

    private static (List<TrainingPair> Pairs, int BadLines, int SkippedItems) ReadPairs(string jsonl, string dataDirectory,
        Modality modality, int audioDim, Action<string>? log)
    {
        // Counted from what was read, not from the wording of the log lines.
        int badLines = 0;
        var items = M4RagJsonl.Read(jsonl, line => { badLines++; log?.Invoke(line); });
        var pairs = M4RagJsonl.ToPairs(items, dataDirectory, modality, audioDim, log);
        return (pairs, badLines, items.Count - pairs.Count);
    }

    /// <summary>Trains on these pairs (<see cref="Clamp3TrainingLoop.Train"/>, <see cref="EvalPairs"/> as the evaluation
    /// set), telling <paramref name="report"/> what a user follows: what was read and the device, one line per step and
    /// evaluation (<see cref="TrainingProgress"/> and the device's memory in use), and where the checkpoints are.</summary>
    /// <param name="log">Gets each pair left out and the loop's own messages.</param>
    public Clamp3TrainingResult Train(Clamp3TrainerOptions options, Action<string>? report = null, Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        report?.Invoke($"{this}; device {options.Device}");
        var progress = report is null ? null : new LineProgress(report, options.Device);
        var result = Clamp3TrainingLoop.Train(TrainPairs, options, EvalPairs, progress, log, cancellationToken);
        report?.Invoke($"{(result.Cancelled ? "Stopped" : "Done")}: {result.EpochsDone} epochs, best epoch {result.BestEpoch} " +
                       $"(eval loss {result.MinEvalLoss:F4}), {Skipped + result.SkippedPairs} rows skipped");
        report?.Invoke($"best: {result.BestCheckpoint}\nlatest (resume): {result.LatestCheckpoint}");
        return result;
    }

    /// <summary>Synchronous (System.Progress posts to the thread pool and would reorder lines).</summary>
    private sealed class LineProgress(Action<string> report, string device) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report($"{value}; {DeviceStatus.Describe(device)}");
    }

    /// <summary>What was read, for a user: <c>30 training pairs (2 unreadable lines and 1 items without usable music or
    /// text skipped), 3 evaluation pairs (0 skipped)</c> (the evaluation part only with an evaluation JSONL).</summary>
    public override string ToString() =>
        $"{TrainPairs.Count} training pairs ({BadLines} unreadable lines and {SkippedItems} items without usable music or text skipped)" +
        (EvalPairs is null ? "" : $", {EvalPairs.Count} evaluation pairs ({BadEvalLines + SkippedEvalItems} skipped)");
}
