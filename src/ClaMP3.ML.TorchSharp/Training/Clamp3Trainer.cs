using System.Diagnostics;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// The official contrastive training loop (<c>train_clamp3_{symbolic,audio}.py</c>) on one device: per epoch the training
/// pairs are shuffled, cut into batches of <see cref="Clamp3TrainerOptions.BatchSize"/> (the last partial batch dropped, as
/// the official loop does, unless it is the only one), each batch gives one AdamW step (through the gradient cache when
/// <see cref="Clamp3TrainerOptions.SubBatchSize"/> is set), then the eval loss decides <c>best.pth</c>; <c>latest.pth</c> is
/// written every epoch (and on cancellation) for resuming, <c>epoch_N.pth</c> every SaveEvery epochs. All checkpoints have
/// the official layout <c>{'model','optimizer','lr_sched','epoch','best_epoch','min_eval_loss','modality'}</c>.
/// </summary>
/// <remarks>Randomness (shuffle, text dropout, truncation, file choice) comes from a <see cref="Random"/> seeded with
/// (seed, epoch), so a run resumed from an end-of-epoch checkpoint repeats the uninterrupted run's losses exactly.</remarks>
public static class Clamp3Trainer
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
        var modality = options.MusicModality;
        int skipped = 0;
        List<TrainingPair> Clean(IEnumerable<TrainingPair> source)
        {
            var kept = new List<TrainingPair>();
            foreach (var p in source)
            {
                if (p.Problem(modality) is { } why) { skipped++; log?.Invoke($"skipped pair '{p.Id}': {why}"); }
                else kept.Add(p);
            }
            return kept;
        }
        var train = Clean(pairs);
        var eval = evalPairs is null ? new List<TrainingPair>() : Clean(evalPairs);
        if (evalPairs is null && options.EvalSplit > 0 && train.Count > 1)
        {
            var shuffled = train.OrderBy(_ => 0).ToList();
            Shuffle(shuffled, new Random(options.Seed));
            int nEval = (int)(train.Count * options.EvalSplit);
            // One pair gives a loss of exactly 0 (a 1×1 softmax), useless for choosing the best epoch: take two or none.
            if (nEval == 1) nEval = train.Count >= 4 ? 2 : 0;
            eval = shuffled.Take(nEval).ToList();
            train = shuffled.Skip(nEval).ToList();
        }
        if (train.Count == 0) throw new InvalidDataException($"No usable training pairs ({skipped} skipped).");

        var device = Clamp3ModelLoader.ParseDevice(options.Device);
        var floatType = options.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var tokenizer = XlmRobertaTokenizer.Load(options.TokenizerPath);
        Directory.CreateDirectory(options.OutputDirectory);

        // Weights: resume checkpoint, else the starting checkpoint, else random init.
        string? weightsFrom = options.ResumeFrom ?? options.CheckpointPath;
        Clamp3Model model;
        Clamp3Config config;
        var extraBuffers = new List<KeyValuePair<string, CheckpointTensor>>();
        if (weightsFrom is not null)
        {
            var loaded = Clamp3ModelLoader.Load(weightsFrom, options.ConfigPath);
            model = loaded.Model; config = loaded.Config;
            // HF position_ids buffers of older checkpoints: kept so that a strict load_state_dict in Python still accepts our files.
            extraBuffers.AddRange(CheckpointReader.Read(weightsFrom).Where(kv => Clamp3Config.IsKnownBuffer(kv.Key)));
        }
        else
        {
            config = Clamp3Config.Load(options.ConfigPath!);
            model = new Clamp3Model(config);
        }
        File.WriteAllText(Path.Combine(options.OutputDirectory, "config.json"), (config with { CheckpointFileName = BestFileName, TokenizerModel = null }).ToJson());

        using var _model = model;
        model.to(device);
        if (options.BFloat16) model.to(ScalarType.BFloat16);
        var trainable = Clamp3Freezing.SetTrainable(model, modality, options.FreezeText).ToList();
        var objective = new ContrastiveObjective(model, options.Loss);
        Parameter? logScale = null;
        if (options.Loss.LearnableTemperature)
        {
            logScale = new Parameter(tensor(Math.Log(options.Loss.InitialLogitScale), dtype: floatType, device: device), requires_grad: true);
            objective.LogLogitScale = logScale;
            trainable.Add(("logit_scale", logScale));
        }
        var schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps);
        using var optimizer = new Clamp3AdamW(trainable, options.LearningRate, weightDecay: options.WeightDecay);

        int startEpoch = 1, bestEpoch = 0;
        double minEvalLoss = double.PositiveInfinity;
        long globalStep = 0;
        if (options.ResumeFrom is not null)
        {
            var root = CheckpointReader.ReadPickle(options.ResumeFrom) as IReadOnlyDictionary<string, object?>
                       ?? throw new InvalidDataException($"{options.ResumeFrom}: not a training checkpoint (a dict with 'model', 'optimizer', …).");
            string Need(string key) => root.ContainsKey(key) ? key : throw new InvalidDataException($"{options.ResumeFrom}: no '{key}' (a bare state dict cannot be resumed; use CheckpointPath).");
            if (root[Need("modality")] is string m && m != modality.ToString().ToLowerInvariant())
                throw new InvalidDataException($"{options.ResumeFrom}: a '{m}' checkpoint cannot resume the {modality.ToString().ToLowerInvariant()} stage.");
            optimizer.LoadStateDict(root[Need("optimizer")], options.ResumeFrom);
            globalStep = LearningRateSchedule.StepsDone(root[Need("lr_sched")], options.ResumeFrom);
            startEpoch = (int)(long)root[Need("epoch")]! + 1;
            bestEpoch = (int)(long)root[Need("best_epoch")]!;
            minEvalLoss = Convert.ToDouble(root[Need("min_eval_loss")]);
            if (logScale is not null && root.TryGetValue("logit_scale", out var ls) && ls is double lsv)
                using (torch.no_grad()) logScale.copy_(tensor(Math.Log(lsv)));
            log?.Invoke($"resumed from {options.ResumeFrom}: epoch {startEpoch - 1} done, step {globalStep}, best epoch {bestEpoch} (eval loss {minEvalLoss})");
        }

        var builder = new ContrastiveBatchBuilder(config, tokenizer, modality)
        {
            TextDropoutEnabled = options.TextDropout,
            RandomTruncation = options.RandomTruncation,
            RemoveInstrumentInfoProbability = options.RemoveInstrumentInfoProbability,
        };
        int batchSize = Math.Min(options.BatchSize, train.Count);
        int stepsPerEpoch = train.Count / batchSize;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        var clock = Stopwatch.StartNew();
        long stepsThisRun = 0, samplesThisRun = 0;
        var trainLosses = new List<double>();
        var evalLosses = new List<double>();
        string best = Path.Combine(options.OutputDirectory, BestFileName), latest = Path.Combine(options.OutputDirectory, LatestFileName);
        int epochsDone = startEpoch - 1;
        bool cancelled = false;

        void Save(string path, int epoch) => Clamp3TrainingCheckpoint.Write(path, model, extraBuffers, optimizer.StateDict(),
            schedule.StateDict(globalStep), epoch, bestEpoch, minEvalLoss, modality, logScale);

        for (int epoch = startEpoch; epoch <= options.Epochs && !cancelled; epoch++)
        {
            var random = new Random(HashCode.Combine(options.Seed, epoch, 0x5eed));
            var order = train.ToList();
            Shuffle(order, random);
            double epochLoss = 0;
            int epochSteps = 0;
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                if (cancellationToken.IsCancellationRequested || (options.MaxDuration is { } max && clock.Elapsed >= max)) { cancelled = true; break; }
                using var scope = NewDisposeScope();
                model.train();
                using var cpuBatch = builder.Build(order.GetRange(s * batchSize, batchSize), training: options.RandomTruncation || options.TextDropout, random);
                using var batch = cpuBatch.To(device, floatType);
                optimizer.LearningRate = schedule.LearningRate(globalStep + 1);
                float loss = objective.Backward(batch, options.SubBatchSize);
                optimizer.Step();
                optimizer.ZeroGrad();
                globalStep++; stepsThisRun++; samplesThisRun += batchSize; epochSteps++;
                // TorchSharp hands raw Scalar handles to native calls, so a GC that finalizes an implicit Scalar temporary
                // mid-call corrupts it (TorchSharp 0.107; the model code uses such temporaries, e.g. `a + b`). Collecting at
                // this safe point keeps the heap small so that collections during a step become rare.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                epochLoss += loss;
                var elapsed = clock.Elapsed;
                long remaining = totalSteps - globalStep;
                progress?.Report(new TrainingProgress("train", epoch, options.Epochs, globalStep, totalSteps, loss, optimizer.LearningRate,
                    samplesThisRun / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, TimeSpan.FromSeconds(elapsed.TotalSeconds / stepsThisRun * remaining)));
            }
            if (cancelled) break;
            trainLosses.Add(epochSteps > 0 ? epochLoss / epochSteps : double.NaN);
            double evalLoss = eval.Count > 0 ? Evaluate(objective, builder, eval, batchSize, device, floatType) : trainLosses[^1];
            evalLosses.Add(evalLoss);
            progress?.Report(new TrainingProgress("eval", epoch, options.Epochs, globalStep, totalSteps, evalLoss, optimizer.LearningRate, 0, clock.Elapsed, null));
            epochsDone = epoch;
            if (evalLoss < minEvalLoss)
            {
                bestEpoch = epoch; minEvalLoss = evalLoss;
                Save(best, epoch);
            }
            Save(latest, epoch);
            if (options.SaveEvery > 0 && epoch % options.SaveEvery == 0) Save(Path.Combine(options.OutputDirectory, $"epoch_{epoch}.pth"), epoch);
        }
        if (cancelled)
        {
            // Mid-epoch: the model and optimizer are saved as they are; resuming restarts the interrupted epoch.
            Save(latest, epochsDone);
            log?.Invoke($"stopped at step {globalStep}; resumable checkpoint {latest} (epoch {epochsDone} complete)");
        }
        if (!File.Exists(best)) Save(best, epochsDone);
        return new Clamp3TrainingResult(best, latest, epochsDone, bestEpoch, minEvalLoss, trainLosses, evalLosses, skipped, cancelled, config);
    }

    /// <summary>Mean loss over evaluation batches (official <c>eval_epoch</c>; head truncation, first file, the pair's text).</summary>
    public static double Evaluate(ContrastiveObjective objective, ContrastiveBatchBuilder builder, IReadOnlyList<TrainingPair> eval, int batchSize, Device device, ScalarType floatType)
    {
        objective.Model.eval();
        batchSize = Math.Min(batchSize, eval.Count);
        int batches = eval.Count / batchSize;
        double total = 0;
        var random = new Random(0);
        for (int b = 0; b < batches; b++)
        {
            using var scope = NewDisposeScope();
            using var cpu = builder.Build(eval.Skip(b * batchSize).Take(batchSize).ToList(), training: false, random);
            using var batch = cpu.To(device, floatType);
            total += objective.EvaluateLoss(batch);
        }
        return total / batches;
    }

    private static void Shuffle<T>(List<T> list, Random random)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
