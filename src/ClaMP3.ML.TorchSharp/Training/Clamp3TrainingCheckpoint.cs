using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>Where an interrupted epoch stopped: its first <paramref name="StepsDone"/> steps are done and their losses
/// summed to <paramref name="LossSum"/>; <paramref name="Seed"/> is the run's seed (the rest of the epoch is only the
/// uninterrupted one when resumed with the same seed).</summary>
public sealed record EpochProgress(int Epoch, int StepsDone, double LossSum, long Seed);

/// <summary>What a training checkpoint holds besides the weights: the completed epochs, the best epoch and its eval loss,
/// the optimizer steps done, the optimizer's state (as read), the learned logit scale, and the interrupted epoch if any.</summary>
public sealed record TrainingResumeState(int EpochsDone, int BestEpoch, double MinEvalLoss, long GlobalStep, object? OptimizerState,
    double? LogitScale, EpochProgress? InterruptedEpoch);

/// <summary>Writes and reads training checkpoints in the official layout (what <c>torch.save(checkpoint, path)</c> writes in
/// the training scripts): <c>{'model': OrderedDict(state dict, float32), 'optimizer': AdamW state_dict(), 'lr_sched':
/// LambdaLR state_dict(), 'epoch', 'best_epoch', 'min_eval_loss', 'modality': 'symbolic'|'audio'}</c>, plus
/// <c>'logit_scale'</c> when the temperature is learned and <c>'epoch_progress'</c> (<c>{'epoch', 'steps', 'loss_sum',
/// 'seed'}</c>) when written mid-epoch. <c>'epoch'</c> counts completed epochs only, so the official scripts (which ignore
/// the extra keys) restart an interrupted epoch, while <see cref="Clamp3TrainingLoop"/> continues it where it stopped.
/// Loadable by <c>torch.load</c>, the official <c>extract_clamp3.py</c>, <see cref="Inference.Clamp3ModelLoader"/> and
/// <see cref="Clamp3TrainingLoop"/> (resume).</summary>
public static class Clamp3TrainingCheckpoint
{
    public static void Write(string path, Clamp3Model model, IEnumerable<KeyValuePair<string, CheckpointTensor>> extraBuffers,
        Dictionary<string, object?> optimizerState, Dictionary<string, object?> schedulerState, int epoch, int bestEpoch,
        double minEvalLoss, Modality modality, Parameter? logLogitScale = null, EpochProgress? interruptedEpoch = null)
    {
        var stateDict = new OrderedDictionary<string, object?>();
        double? logitScale = null;
        using (var scope = NewDisposeScope())
        {
            foreach (var (name, p) in model.named_parameters())
                stateDict[name] = CheckpointTensor.FromTensor(p.detach().to(ScalarType.Float32).cpu());
            if (logLogitScale is not null) logitScale = Math.Exp(logLogitScale.detach().to(ScalarType.Float64).cpu().item<double>());
        }
        foreach (var (name, t) in extraBuffers) stateDict.TryAdd(name, t);
        var checkpoint = new Dictionary<string, object?>
        {
            ["model"] = stateDict,
            ["optimizer"] = optimizerState,
            ["lr_sched"] = schedulerState,
            ["epoch"] = (long)epoch,
            ["best_epoch"] = (long)bestEpoch,
            ["min_eval_loss"] = minEvalLoss,
            ["modality"] = modality.ToString().ToLowerInvariant(),
        };
        if (logitScale is { } scale) checkpoint["logit_scale"] = scale;
        if (interruptedEpoch is { } e)
            checkpoint["epoch_progress"] = new Dictionary<string, object?>
            {
                ["epoch"] = (long)e.Epoch, ["steps"] = (long)e.StepsDone, ["loss_sum"] = e.LossSum, ["seed"] = e.Seed,
            };
        PthWriter.Write(path, checkpoint);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/> once: its state dict (weights and buffers) and its resume state.</summary>
    public static (StateDict Weights, TrainingResumeState Resume) Read(string path, Modality modality)
    {
        var root = CheckpointReader.ReadPickle(path) as IReadOnlyDictionary<string, object?>
                   ?? throw new InvalidDataException($"{path}: not a training checkpoint (a dict with 'model', 'optimizer', …).");
        object? Need(string key) => root.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: no '{key}' (a bare state dict cannot be resumed; use CheckpointPath).");
        string stage = modality.ToString().ToLowerInvariant();
        if (Need("modality") is string m && m != stage)
            throw new InvalidDataException($"{path}: a '{m}' checkpoint cannot resume the {stage} stage.");
        if (Need("model") is not IReadOnlyDictionary<string, object?> model)
            throw new InvalidDataException($"{path}: 'model' is not a state dict.");
        var tensors = model.Select(kv => kv.Value is CheckpointTensor t ? new KeyValuePair<string, CheckpointTensor>(kv.Key, t)
            : throw new InvalidDataException($"{path}: state-dict entry '{kv.Key}' is not a tensor."));
        var resume = new TrainingResumeState(
            EpochsDone: Int(Need("epoch"), "epoch", path),
            BestEpoch: Int(Need("best_epoch"), "best_epoch", path),
            MinEvalLoss: Need("min_eval_loss") switch { double d => d, long l => l, _ => throw new InvalidDataException($"{path}: 'min_eval_loss' is not a number.") },
            GlobalStep: LearningRateSchedule.StepsDone(Need("lr_sched"), path),
            OptimizerState: Need("optimizer"),
            LogitScale: root.TryGetValue("logit_scale", out var ls) && ls is double lsv ? lsv : null,
            InterruptedEpoch: root.TryGetValue("epoch_progress", out var ep) ? Progress(ep, path) : null);
        return (new StateDict(tensors, path), resume);
    }

    private static EpochProgress Progress(object? value, string path)
    {
        if (value is not IReadOnlyDictionary<string, object?> d || d.GetValueOrDefault("loss_sum") is not double lossSum || !double.IsFinite(lossSum))
            throw new InvalidDataException($"{path}: 'epoch_progress' is not {{'epoch', 'steps', 'loss_sum', 'seed'}}.");
        return new EpochProgress(Int(d.GetValueOrDefault("epoch"), "epoch_progress.epoch", path), Int(d.GetValueOrDefault("steps"), "epoch_progress.steps", path),
            lossSum, d.GetValueOrDefault("seed") is long seed ? seed : throw new InvalidDataException($"{path}: 'epoch_progress.seed' is not an integer."));
    }

    private static int Int(object? value, string key, string path) =>
        value is long l && l is >= 0 and <= int.MaxValue ? (int)l : throw new InvalidDataException($"{path}: '{key}' is not a non-negative integer.");
}
