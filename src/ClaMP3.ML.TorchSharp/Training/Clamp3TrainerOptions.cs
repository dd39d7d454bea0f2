using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Training;

/// <summary>Options of <see cref="Clamp3TrainingLoop"/> and <see cref="Clamp3ContrastiveTrainer"/>. Defaults follow the official
/// <c>code/config.py</c> where a single machine allows (batch 256 per GPU there; 8 GPUs give a global 2048).</summary>
public sealed class Clamp3TrainerOptions
{
    /// <summary>Starting weights (official <c>.pth</c>, state dict or safetensors). Null: random init from <see cref="ConfigPath"/>.</summary>
    public string? CheckpointPath { get; set; }
    /// <summary>config.json of the model (needed without a checkpoint; else found beside it or inferred).</summary>
    public string? ConfigPath { get; set; }
    /// <summary>XLM-R sentencepiece model (required).</summary>
    public string TokenizerPath { get; set; } = "";
    /// <summary>Symbolic (train_clamp3_symbolic.py) or Audio (train_clamp3_audio.py).</summary>
    public Modality MusicModality { get; set; } = Modality.Symbolic;
    /// <summary>Where checkpoints go (<c>best.pth</c>, <c>latest.pth</c>, <c>epoch_N.pth</c>).</summary>
    public string OutputDirectory { get; set; } = "clamp3-training";
    /// <summary>Resume from this checkpoint (model, optimizer moments, schedule position, epoch, best eval loss).</summary>
    public string? ResumeFrom { get; set; }

    public int Epochs { get; set; } = 100;
    public int BatchSize { get; set; } = 256;
    /// <summary>Gradient-cache sub-batch size (null: the whole batch in one pass).</summary>
    public int? SubBatchSize { get; set; }
    public double LearningRate { get; set; } = 1e-5;
    /// <summary>0 (default): constant lr, what the official scripts actually do; &gt;0: the intended linear warm-up (official 1000).</summary>
    public int WarmupSteps { get; set; }
    public double WeightDecay { get; set; } = 0.01;
    /// <summary>Official <c>FREEZE_TEXT</c>.</summary>
    public bool FreezeText { get; set; }
    /// <summary>Official <c>TEXT_DROPOUT</c> (applies to JSONL items, which have the fields to draw from).</summary>
    public bool TextDropout { get; set; } = true;
    public bool RandomTruncation { get; set; } = true;
    /// <summary>Hidden and attention dropout of the three encoders while training (the official training runs HF's default
    /// 0.1 in XLM-R and both BERTs); 0 turns it off. Evaluation and the saved models never drop.</summary>
    public double Dropout { get; set; } = 0.1;
    public double RemoveInstrumentInfoProbability { get; set; } = 0.9;
    public ContrastiveLossOptions Loss { get; set; } = new();

    /// <summary>Fraction held out for evaluation when no eval set is given (official EVAL_SPLIT 0.01).</summary>
    public double EvalSplit { get; set; } = 0.01;
    /// <summary>Write <c>epoch_N.pth</c> every this many epochs (official SAVE_EVERY 5); 0 disables.</summary>
    public int SaveEvery { get; set; } = 5;
    /// <summary>Stop after this wall time (the current step finishes, then a resumable checkpoint is written).</summary>
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>"cpu", "cuda", "cuda:N".</summary>
    public string Device { get; set; } = "cpu";
    /// <summary><see cref="Clamp3Precision.BFloat16"/>: mixed precision as torch autocast: forward and backward in bfloat16,
    /// while the weights the optimizer updates and its moments stay float32 (and so do the loss and the checkpoints).</summary>
    public Clamp3Precision Precision { get; set; } = Clamp3Precision.Float32;
    /// <summary>The pre-split switch for <see cref="Precision"/>.</summary>
    [Obsolete("Use Precision = Clamp3Precision.BFloat16.")]
    public bool BFloat16
    {
        get => Precision == Clamp3Precision.BFloat16;
        set => Precision = value ? Clamp3Precision.BFloat16 : Clamp3Precision.Float32;
    }
    /// <summary>Drives every random choice (eval split, shuffles, text dropout, truncation, file choice, initial weights,
    /// dropout masks); see <see cref="TrainingSeeds"/> for the scheme.</summary>
    public int Seed { get; set; }

    /// <summary>Where the starting model comes from (resume checkpoint, else starting checkpoint; empty for a random init).</summary>
    public Clamp3ModelSource ModelSource => new(ResumeFrom ?? CheckpointPath ?? "")
    {
        ConfigPath = ConfigPath,
        TokenizerPath = TokenizerPath,
        Device = Device,
        Precision = Precision,
    };

    /// <summary>The first out-of-range number of these options, as a sentence naming its property (<c>"Epochs must be
    /// at least 1."</c>), or null when every one is in range. Training checks this too; a front end can check it first
    /// and say it in its own words (<c>clamp3 train</c> names its flags).</summary>
    public string? FindProblem()
    {
        if (Epochs < 1) return "Epochs must be at least 1.";
        if (BatchSize < 1) return "BatchSize must be at least 1.";
        if (SubBatchSize is < 1) return "SubBatchSize must be at least 1.";
        if (EvalSplit is < 0 or >= 1) return "EvalSplit must be in [0, 1).";
        if (!(LearningRate >= 0)) return "LearningRate must be 0 or more.";
        if (WarmupSteps < 0) return "WarmupSteps must be 0 or more.";
        if (SaveEvery < 0) return "SaveEvery must be 0 or more.";
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout)) return "Dropout must be in [0, 1).";
        if (MaxDuration is { } d && !(d > TimeSpan.Zero)) return "MaxDuration must be more than 0.";
        return null;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(TokenizerPath)) throw new ArgumentException("TokenizerPath (XLM-R sentencepiece.bpe.model) is required.");
        if (CheckpointPath is null && ConfigPath is null) throw new ArgumentException("Give CheckpointPath (starting weights) or ConfigPath (random init).");
        if (MusicModality == Modality.Text) throw new ArgumentException("MusicModality must be Symbolic or Audio.");
        if (FindProblem() is { } problem) throw new ArgumentException(problem);
    }
}

/// <summary>A progress report: per optimizer step (<see cref="Phase"/> "train") and per evaluation ("eval").</summary>
public sealed record TrainingProgress(string Phase, int Epoch, int Epochs, long Step, long TotalSteps, double Loss,
    double LearningRate, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan? Eta)
{
    public override string ToString() => Phase == "eval"
        ? $"epoch {Epoch}/{Epochs} eval loss {Loss:F4}"
        : $"epoch {Epoch}/{Epochs} step {Step}/{TotalSteps} loss {Loss:F4} lr {LearningRate:G3} {SamplesPerSecond:F1} samples/s ETA {Eta?.ToString(@"hh\:mm\:ss") ?? "?"}";
}

/// <summary>What a training run did.</summary>
public sealed record Clamp3TrainingResult(string BestCheckpoint, string LatestCheckpoint, int EpochsDone, int BestEpoch, double MinEvalLoss,
    IReadOnlyList<double> TrainLosses, IReadOnlyList<double> EvalLosses, int SkippedPairs, bool Cancelled, Modeling.Clamp3Config Config);
