using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// One training run's model, optimizer and position: <see cref="Start"/> reads the starting or resume checkpoint once
/// (weights, buffers, resume state), <see cref="Step"/> does one optimizer step, <see cref="Save"/> writes a checkpoint.
/// The float32 model is what the optimizer updates and what checkpoints hold; with <see cref="Clamp3TrainerOptions.Precision"/> bfloat16
/// a <see cref="Bf16WorkingCopy"/> computes.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly Clamp3TrainerOptions _options;
    private readonly Clamp3Model _model;
    private readonly Bf16WorkingCopy? _bf16;
    private readonly Clamp3AdamW _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly Parameter? _logScale;
    private readonly List<KeyValuePair<string, CheckpointTensor>> _extraBuffers;
    private readonly Device _device;

    private TrainingRun(Clamp3TrainerOptions options, Clamp3Model model, Device device, StateDict? weights, XlmRobertaTokenizer tokenizer)
    {
        this._options = options; this._model = model; this._device = device;
        // HF position_ids buffers of older checkpoints: kept so that a strict load_state_dict in Python still accepts our files.
        _extraBuffers = weights?.Where(kv => Clamp3Config.IsKnownBuffer(kv.Key)).ToList() ?? new();
        model.to(device);
        var trainable = Clamp3Freezing.SetTrainable(model, options.MusicModality, options.FreezeText).ToList();
        if (options.Precision == Clamp3Precision.BFloat16) _bf16 = new Bf16WorkingCopy(model, device);
        Objective = new ContrastiveObjective(_bf16?.Model ?? model, options.Loss);
        if (options.Loss.LearnableTemperature)
        {
            // float32 in every precision: it is used only in the loss, which runs in float32.
            _logScale = new Parameter(tensor(Math.Log(options.Loss.InitialLogitScale), dtype: ScalarType.Float32, device: device), requires_grad: true);
            Objective.LogLogitScale = _logScale;
            trainable.Add(("logit_scale", _logScale));
        }
        _schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps);
        _optimizer = new Clamp3AdamW(trainable, options.LearningRate, weightDecay: options.WeightDecay);
        Builder = new ContrastiveBatchBuilder(model.Config, tokenizer, options.MusicModality)
        {
            TextDropoutEnabled = options.TextDropout,
            RandomTruncation = options.RandomTruncation,
            RemoveInstrumentInfoProbability = options.RemoveInstrumentInfoProbability,
        };
    }

    public Clamp3Config Config => _model.Config;
    public ContrastiveObjective Objective { get; }
    public ContrastiveBatchBuilder Builder { get; }
    public double LearningRate => _optimizer.LearningRate;
    /// <summary>The type of the batches' float inputs (masks, MERT rows): what the computing model runs in.</summary>
    public ScalarType InputType => _options.Precision == Clamp3Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
    public Device Device => _device;
    public long GlobalStep { get; private set; }
    /// <summary>Epochs completed before this run (from the resume checkpoint).</summary>
    public int EpochsDone { get; private set; }
    public int BestEpoch { get; set; }
    public double MinEvalLoss { get; set; } = double.PositiveInfinity;
    /// <summary>The epoch a mid-epoch checkpoint stopped in, continued by the loop.</summary>
    public EpochProgress? InterruptedEpoch { get; private set; }

    /// <summary>Builds the model from the resume checkpoint, else the starting checkpoint, else at random from the config
    /// (libtorch seeded from (seed, Init)); the config's dropout is set to <see cref="Clamp3TrainerOptions.Dropout"/>.</summary>
    public static TrainingRun Start(Clamp3TrainerOptions options, Action<string>? log)
    {
        var device = Clamp3ModelLoader.ParseDevice(options.Device);
        var tokenizer = XlmRobertaTokenizer.Load(options.TokenizerPath);
        StateDict? weights = null;
        TrainingResumeState? resume = null;
        if (options.ResumeFrom is not null) (weights, resume) = Clamp3TrainingCheckpoint.Read(options.ResumeFrom, options.MusicModality);
        else if (options.CheckpointPath is not null) weights = CheckpointReader.Read(options.CheckpointPath);
        var config = WithDropout(ResolveConfig(options, weights), options.Dropout);
        torch.manual_seed(TrainingSeeds.Torch(options.Seed, SeedPurpose.Init)).Dispose(); // the returned wrapper, not the generator
        var model = new Clamp3Model(config);
        try
        {
            if (weights is not null) StateDictLoader.Load(model, weights, ignoreMissing: null, ignoreUnexpected: Clamp3Config.IsKnownBuffer);
            var run = new TrainingRun(options, model, device, weights, tokenizer);
            if (resume is not null) run.Resume(resume, log);
            return run;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The config (<see cref="Clamp3ConfigResolver.ResolveChecked"/>, from the shapes already read), checked against
    /// the checkpoint's shapes.</summary>
    private static Clamp3Config ResolveConfig(Clamp3TrainerOptions options, StateDict? weights) => weights is null
        ? Clamp3ConfigResolver.ResolveConfig(null, options.ConfigPath)
        : Clamp3ConfigResolver.ResolveChecked(weights, weights.SourcePath, options.ConfigPath);

    /// <summary>The official training's dropout (HF's 0.1, hidden and attention) in all three encoders.</summary>
    private static Clamp3Config WithDropout(Clamp3Config config, double p)
    {
        BertConfig Set(BertConfig c) => c with { HiddenDropoutProb = p, AttentionProbsDropoutProb = p };
        return config with { Text = Set(config.Text), Symbolic = Set(config.Symbolic), Audio = Set(config.Audio) };
    }

    private void Resume(TrainingResumeState state, Action<string>? log)
    {
        string path = _options.ResumeFrom!;
        _optimizer.LoadStateDict(state.OptimizerState, path);
        GlobalStep = state.GlobalStep;
        EpochsDone = state.EpochsDone;
        BestEpoch = state.BestEpoch;
        MinEvalLoss = state.MinEvalLoss;
        if (_logScale is not null && state.LogitScale is { } scale)
            using (no_grad()) using (var value = tensor(Math.Log(scale))) _logScale.copy_(value);
        _bf16?.Refresh();
        if (state.InterruptedEpoch is { } p)
        {
            if (p.Epoch != state.EpochsDone + 1)
                throw new InvalidDataException($"{path}: 'epoch_progress' is in epoch {p.Epoch}, but {state.EpochsDone} epochs are complete.");
            if (p.Seed != _options.Seed)
                log?.Invoke($"warning: {path} was stopped mid-epoch in a run with seed {p.Seed}; with seed {_options.Seed} the rest of epoch {p.Epoch} follows another order");
            InterruptedEpoch = p;
        }
        log?.Invoke($"resumed from {path}: epoch {EpochsDone} done{(InterruptedEpoch is { } e ? $" and {e.StepsDone} steps of epoch {e.Epoch}" : "")}, step {GlobalStep}, best epoch {BestEpoch} (eval loss {MinEvalLoss})");
    }

    /// <summary>One optimizer step on <paramref name="pairs"/>, step <paramref name="step"/> (0-based) of <paramref name="epoch"/>:
    /// batch draws from (seed, Batch, epoch, step), dropout from (seed, Dropout, epoch, step, sub-batch). Returns the loss.</summary>
    public float Step(IReadOnlyList<TrainingPair> pairs, int epoch, int step)
    {
        using var scope = NewDisposeScope();
        Objective.Model.train();
        var random = TrainingSeeds.Random(_options.Seed, SeedPurpose.Batch, epoch, step);
        using var cpuBatch = Builder.Build(pairs, training: _options.RandomTruncation || _options.TextDropout, random);
        using var batch = cpuBatch.To(_device, InputType);
        _optimizer.LearningRate = _schedule.LearningRate(GlobalStep + 1);
        Objective.DropoutSeed = TrainingSeeds.Derive(_options.Seed, SeedPurpose.Dropout, epoch, step);
        float loss = Objective.Backward(batch, _options.SubBatchSize);
        if (!float.IsFinite(loss))
            throw new InvalidDataException($"Epoch {epoch} step {step + 1}: the loss is {loss}; the weights were not updated (lower the learning rate?). Resume from the last checkpoint.");
        _bf16?.MoveGradients();
        _optimizer.Step();
        _optimizer.ZeroGrad();
        _bf16?.Refresh();
        GlobalStep++;
        return loss;
    }

    /// <summary>Writes a checkpoint of the float32 weights; <paramref name="interrupted"/> marks a mid-epoch one.</summary>
    public void Save(string path, int epochsDone, EpochProgress? interrupted = null)
    {
        Clamp3TrainingCheckpoint.Write(path, _model, _extraBuffers, _optimizer.StateDict(), _schedule.StateDict(GlobalStep),
            epochsDone, BestEpoch, MinEvalLoss, _options.MusicModality, _logScale, interrupted);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _bf16?.Dispose();
        _logScale?.Dispose();
        _model.Dispose();
    }
}
