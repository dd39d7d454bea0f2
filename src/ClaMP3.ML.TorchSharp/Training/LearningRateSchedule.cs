namespace ClaMP3.ML.Training;

/// <summary>
/// The learning rate per optimizer step (1-based). Default <see cref="Constant"/>: the official scripts build
/// <c>get_constant_schedule_with_warmup(optimizer, 1000)</c> and then replace <c>optimizer</c> by a fresh AdamW, so the
/// schedule drives a discarded optimizer and the released models were trained at a constant 1e-5 from step 1. The intended
/// warm-up (<see cref="ConstantWithWarmup"/>: LambdaLR, step k runs at <c>base·min((k-1)/warmup, 1)</c>, so step 1 at lr 0)
/// is offered as an option.
/// </summary>
public sealed record LearningRateSchedule(double BaseLearningRate, int WarmupSteps)
{
    public static LearningRateSchedule Constant(double lr) => new(lr, 0);
    public static LearningRateSchedule ConstantWithWarmup(double lr, int warmupSteps) => new(lr, warmupSteps);

    /// <summary>The lr of optimizer step <paramref name="step"/> (1-based).</summary>
    public double LearningRate(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (WarmupSteps <= 0) return BaseLearningRate;
        long s = step - 1;
        return BaseLearningRate * (s < WarmupSteps ? s / (double)Math.Max(1, WarmupSteps) : 1.0);
    }

    /// <summary>torch's <c>LambdaLR.state_dict()</c> after <paramref name="stepsDone"/> optimizer steps (what <c>lr_sched</c> holds).</summary>
    public Dictionary<string, object?> StateDict(long stepsDone) => new()
    {
        ["base_lrs"] = new List<object?> { BaseLearningRate },
        ["last_epoch"] = stepsDone,
        ["verbose"] = false,
        ["_step_count"] = stepsDone + 1,
        ["_get_lr_called_within_step"] = false,
        ["_last_lr"] = new List<object?> { LearningRate(stepsDone + 1) },
        ["lr_lambdas"] = new List<object?> { null },
    };

    /// <summary>The step count saved by <see cref="StateDict"/>.</summary>
    public static long StepsDone(object? lrSched, string source) =>
        lrSched is IReadOnlyDictionary<string, object?> d && d.TryGetValue("last_epoch", out var e) && e is long l ? l
        : throw new InvalidDataException($"{source}: 'lr_sched' has no integer 'last_epoch'.");
}
