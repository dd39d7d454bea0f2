using System.Diagnostics;
using ClaMP3.ML.Modeling;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// The official contrastive training loop (<c>train_clamp3_{symbolic,audio}.py</c>) on one device, as a plain method (the
/// ML.NET estimator over it is <see cref="Clamp3ContrastiveTrainer"/>): per epoch the training pairs are shuffled, cut
/// into batches of <see cref="Clamp3TrainerOptions.BatchSize"/> (the last partial batch dropped, as the official loop does,
/// unless it is the only one), each batch gives one AdamW step (through the gradient cache when
/// <see cref="Clamp3TrainerOptions.SubBatchSize"/> is set), then the eval loss decides <c>best.pth</c>; <c>latest.pth</c> is
/// written every epoch (and, mid-epoch, on cancellation) for resuming, <c>epoch_N.pth</c> every SaveEvery epochs. All
/// checkpoints have the official layout (<see cref="Clamp3TrainingCheckpoint"/>).
/// </summary>
/// <remarks>Every random choice comes from <see cref="Clamp3TrainerOptions.Seed"/> through <see cref="TrainingSeeds"/>, so two
/// runs with one seed give the same losses in any process, and a run resumed from any checkpoint (end of epoch or
/// mid-epoch) continues with the uninterrupted run's losses and weights (same device and thread count: libtorch's CPU
/// reductions depend on the number of threads). Dropout seeds libtorch's global generator: one training per process at a time.</remarks>
public static class Clamp3TrainingLoop
{
    public const string BestFileName = "best.pth";
    public const string LatestFileName = "latest.pth";

    public static Clamp3TrainingResult Train(IReadOnlyList<TrainingPair> pairs, Clamp3TrainerOptions options,
        IReadOnlyList<TrainingPair>? evalPairs = null, IProgress<TrainingProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = TrainingData.Prepare(pairs, evalPairs, options, log);
        Directory.CreateDirectory(options.OutputDirectory);
        using var run = TrainingRun.Start(options, log);
        File.WriteAllText(Path.Combine(options.OutputDirectory, "config.json"), (run.Config with { CheckpointFileName = BestFileName, TokenizerModel = null }).ToJson());

        var loop = new EpochLoop(run, data, options, progress, cancellationToken);
        string best = Path.Combine(options.OutputDirectory, BestFileName), latest = Path.Combine(options.OutputDirectory, LatestFileName);
        var trainLosses = new List<double>();
        var evalLosses = new List<double>();
        int epochsDone = run.EpochsDone;
        bool cancelled = false;
        for (int epoch = epochsDone + 1; epoch <= options.Epochs; epoch++)
        {
            var (trainLoss, stoppedAt) = loop.Run(epoch);
            if (stoppedAt is not null)
            {
                run.Save(latest, epochsDone, stoppedAt);
                log?.Invoke($"stopped at step {run.GlobalStep} ({stoppedAt.StepsDone} steps into epoch {epoch}); resumable checkpoint {latest}");
                cancelled = true;
                break;
            }
            trainLosses.Add(trainLoss);
            double evalLoss = data.Eval.Count > 0 ? Evaluate(run.Objective, run.Builder, data.Eval, loop.BatchSize, run.Device, run.InputType) : trainLoss;
            evalLosses.Add(evalLoss);
            progress?.Report(new TrainingProgress("eval", epoch, options.Epochs, run.GlobalStep, loop.TotalSteps, evalLoss, run.LearningRate, 0, loop.Elapsed, null));
            epochsDone = epoch;
            SaveEpoch(run, options, epoch, evalLoss, best, latest);
        }
        if (!File.Exists(best)) run.Save(best, epochsDone);
        return new Clamp3TrainingResult(best, latest, epochsDone, run.BestEpoch, run.MinEvalLoss, trainLosses, evalLosses, data.Skipped, cancelled, run.Config);
    }

    /// <summary>End-of-epoch checkpoints: <c>best.pth</c> when the eval loss improved, <c>latest.pth</c>, <c>epoch_N.pth</c>.</summary>
    private static void SaveEpoch(TrainingRun run, Clamp3TrainerOptions options, int epoch, double evalLoss, string best, string latest)
    {
        if (evalLoss < run.MinEvalLoss)
        {
            run.BestEpoch = epoch; run.MinEvalLoss = evalLoss;
            run.Save(best, epoch);
        }
        run.Save(latest, epoch);
        if (options.SaveEvery > 0 && epoch % options.SaveEvery == 0) run.Save(Path.Combine(options.OutputDirectory, $"epoch_{epoch}.pth"), epoch);
    }

    /// <summary>Mean loss over evaluation batches (official <c>eval_epoch</c>; head truncation, first file, the pair's text).</summary>
    public static double Evaluate(ContrastiveObjective objective, ContrastiveBatchBuilder builder, IReadOnlyList<TrainingPair> eval, int batchSize, Device device, ScalarType floatType)
    {
        objective.Model.eval();
        batchSize = Math.Min(batchSize, eval.Count);
        int batches = eval.Count / batchSize;
        double total = 0;
        var random = new SeededRandom(0); // evaluation draws nothing; the builder's signature wants a source
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            using var cpu = builder.Build(eval.Skip(b * batchSize).Take(batchSize).ToList(), training: false, random);
            using var batch = cpu.To(device, floatType);
            total += objective.EvaluateLoss(batch);
        }
        return total / batches;
    }

    /// <summary>The steps of one epoch, with progress reports and the stop checks between steps.</summary>
    private sealed class EpochLoop(TrainingRun run, TrainingData data, Clamp3TrainerOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _stepsThisRun, _samplesThisRun;

        public int BatchSize { get; } = Math.Min(options.BatchSize, data.Train.Count);
        private int StepsPerEpoch => data.Train.Count / BatchSize;
        public long TotalSteps => (long)StepsPerEpoch * options.Epochs;
        public TimeSpan Elapsed => _clock.Elapsed;

        /// <summary>Runs epoch <paramref name="epoch"/> (from where an interrupted one stopped): its mean loss, or where it was stopped.</summary>
        public (double MeanLoss, EpochProgress? StoppedAt) Run(int epoch)
        {
            var order = data.EpochOrder(options.Seed, epoch);
            int first = 0;
            double lossSum = 0;
            if (run.InterruptedEpoch is { } resumed && resumed.Epoch == epoch)
            {
                if (resumed.StepsDone > StepsPerEpoch)
                    throw new InvalidDataException($"{options.ResumeFrom}: stopped after {resumed.StepsDone} steps of epoch {epoch}, but an epoch of this data has {StepsPerEpoch} (other data or batch size?).");
                (first, lossSum) = (resumed.StepsDone, resumed.LossSum);
            }
            for (int s = first; s < StepsPerEpoch; s++)
            {
                if (cancellation.IsCancellationRequested || (options.MaxDuration is { } max && _clock.Elapsed >= max))
                    return (double.NaN, new EpochProgress(epoch, s, lossSum, options.Seed));
                float loss = run.Step(order.GetRange(s * BatchSize, BatchSize), epoch, s);
                lossSum += loss;
                _stepsThisRun++; _samplesThisRun += BatchSize;
                var elapsed = _clock.Elapsed;
                progress?.Report(new TrainingProgress("train", epoch, options.Epochs, run.GlobalStep, TotalSteps, loss, run.LearningRate,
                    _samplesThisRun / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, TimeSpan.FromSeconds(elapsed.TotalSeconds / _stepsThisRun * (TotalSteps - run.GlobalStep))));
            }
            return (StepsPerEpoch > 0 ? lossSum / StepsPerEpoch : double.NaN, null);
        }
    }
}
