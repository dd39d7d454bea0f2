using ClaMP3.ML.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>The loss value and the logits of one batch, as plain arrays.</summary>
public sealed record ContrastiveStepResult(float Loss, int BatchSize);

/// <summary>
/// <c>CLaMP3Model.forward</c> for training: global text features <c>t = text_proj(masked_mean(text_model(…)))</c>, global
/// music features <c>m</c>, then <see cref="ClipLoss"/>. <see cref="Backward"/> accumulates <c>dLoss/dp</c> into the
/// parameters' gradients, either in one pass or with a gradient cache (GradCache, Gao et al. 2021) whose memory is that
/// of one sub-batch while the loss still sees every pair of the batch in one softmax.
/// </summary>
public sealed class ContrastiveObjective
{
    public ContrastiveObjective(Clamp3Model model, ContrastiveLossOptions? loss = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        LossOptions = loss ?? new ContrastiveLossOptions();
    }

    public Clamp3Model Model { get; }
    public ContrastiveLossOptions LossOptions { get; }
    /// <summary>The learnable log logit scale when <see cref="ContrastiveLossOptions.LearnableTemperature"/> is on; set by the
    /// trainer (float32 always: the loss runs in float32).</summary>
    public Parameter? LogLogitScale { get; set; }
    /// <summary>When set, libtorch's generator is seeded with (this, sub-batch index) before each sub-batch's forward, so
    /// the dropout masks are fixed by the seed and the gradient cache's second forward of a sub-batch replays the masks
    /// of its first (which is what makes the cache exact with dropout on). Null: the generator is left as it is.</summary>
    public ulong? DropoutSeed { get; set; }

    private void SeedDropout(int subBatch)
    {
        if (DropoutSeed is { } seed) torch.manual_seed((long)(TrainingSeeds.SplitMix64(seed ^ (ulong)subBatch) >> 1)).Dispose();
    }

    /// <summary>Global features (t, m), [B, D] each, with a graph when grad mode is on.</summary>
    public (Tensor Text, Tensor Music) Features(ContrastiveBatch batch)
    {
        using var scope = NewDisposeScope();
        var t = Model.GetTextFeatures(batch.TextIds, batch.TextMask, global: true);
        var m = Model.GetMusicFeatures(batch.MusicModality, batch.MusicInputs, batch.MusicMask, global: true);
        return (t.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope());
    }

    /// <summary>The loss and logits from features (in the caller's scope), computed in float32 whatever the features'
    /// type (autocast runs losses in float32 too).</summary>
    public (Tensor Loss, Tensor LogitsTextMusic, Tensor LogitsMusicText) Loss(Tensor text, Tensor music)
    {
        using var scope = NewDisposeScope();
        var scale = LogLogitScale is null ? null : LogLogitScale.exp();
        var (loss, tm, mt) = ClipLoss.Compute(text.to(ScalarType.Float32), music.to(ScalarType.Float32), scale, LossOptions.NormalizeFeatures);
        return (loss.MoveToOuterDisposeScope(), tm.MoveToOuterDisposeScope(), mt.MoveToOuterDisposeScope());
    }

    /// <summary>The loss of a batch without any graph (evaluation).</summary>
    public float EvaluateLoss(ContrastiveBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (t, m) = Features(batch);
        return Loss(t, m).Loss.to(ScalarType.Float32).item<float>();
    }

    /// <summary>
    /// Computes the loss of the whole batch and adds <c>dLoss/dp</c> to every parameter in the graph (those outside it keep
    /// an undefined gradient). <paramref name="subBatchSize"/> null or ≥ B: one forward and backward. Otherwise the gradient
    /// cache: (1) features of each sub-batch without graph, concatenated; (2) the loss over all B pairs and its gradient
    /// w.r.t. the features; (3) each sub-batch re-run with graph and <c>sum(t_i·∂L/∂t_i) + sum(m_i·∂L/∂m_i)</c> back-propagated.
    /// Equal to the full-batch gradient up to float32 summation order; with dropout, exact when <see cref="DropoutSeed"/>
    /// is set (each sub-batch's masks are replayed), which also makes the masks depend on the sub-batch split.
    /// </summary>
    public float Backward(ContrastiveBatch batch, int? subBatchSize = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int b = batch.Count;
        if (subBatchSize is null || subBatchSize.Value >= b)
        {
            using var scope = NewDisposeScope();
            SeedDropout(0);
            var (t, m) = Features(batch);
            var loss = Loss(t, m).Loss;
            loss.backward();
            return loss.to(ScalarType.Float32).item<float>();
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(subBatchSize.Value);
        var chunks = Enumerable.Range(0, (b + subBatchSize.Value - 1) / subBatchSize.Value)
            .Select(c => Enumerable.Range(c * subBatchSize.Value, Math.Min(subBatchSize.Value, b - c * subBatchSize.Value)).Select(i => (long)i).ToArray())
            .ToArray();
        return BackwardCached(batch, chunks);
    }

    /// <summary>The gradient cache over explicit sub-batches (row indices of <paramref name="batch"/>, covering every row once).</summary>
    public float BackwardCached(ContrastiveBatch batch, IReadOnlyList<long[]> subBatches)
    {
        var covered = subBatches.SelectMany(r => r).OrderBy(r => r).ToArray();
        if (!covered.SequenceEqual(Enumerable.Range(0, batch.Count).Select(i => (long)i)))
            throw new ArgumentException("The sub-batches must cover every row of the batch exactly once.", nameof(subBatches));
        using var scope = NewDisposeScope();
        var textParts = new List<Tensor>();
        var musicParts = new List<Tensor>();
        using (torch.no_grad())
        {
            for (int c = 0; c < subBatches.Count; c++)
            {
                using var inner = NewDisposeScope();
                using var sub = batch.Select(subBatches[c]);
                SeedDropout(c);
                var (t, m) = Features(sub);
                textParts.Add(t.MoveToOuterDisposeScope());
                musicParts.Add(m.MoveToOuterDisposeScope());
            }
        }
        var allText = cat(textParts, 0).detach().requires_grad_(true);
        var allMusic = cat(musicParts, 0).detach().requires_grad_(true);
        var loss = Loss(allText, allMusic).Loss;
        loss.backward(); // also gives a learnable logit scale its whole gradient
        var textGrad = allText.grad!;
        var musicGrad = allMusic.grad!;
        long offset = 0;
        for (int c = 0; c < subBatches.Count; c++)
        {
            using var inner = NewDisposeScope();
            using var sub = batch.Select(subBatches[c]);
            SeedDropout(c);
            var (t, m) = Features(sub);
            long n = subBatches[c].Length;
            var surrogate = t.mul(textGrad.narrow(0, offset, n).to(t.dtype)).sum().Plus(m.mul(musicGrad.narrow(0, offset, n).to(m.dtype)).sum());
            surrogate.backward();
            offset += n;
        }
        return loss.to(ScalarType.Float32).item<float>();
    }
}

/// <summary>How the contrastive loss treats the features.</summary>
public sealed record ContrastiveLossOptions
{
    /// <summary>L2-normalise t and m before the logits (off in the official recipe).</summary>
    public bool NormalizeFeatures { get; init; }
    /// <summary>Learn a logit scale <c>exp(s)</c> (CLIP's temperature) instead of the official constant 1; off by default.</summary>
    public bool LearnableTemperature { get; init; }
    /// <summary>Initial logit scale when learnable (CLIP: 1/0.07).</summary>
    public double InitialLogitScale { get; init; } = 1 / 0.07;
}
