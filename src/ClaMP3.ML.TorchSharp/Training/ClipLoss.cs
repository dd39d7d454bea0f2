using ClaMP3.ML.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>The official contrastive loss (<c>ClipLoss</c> of code/utils.py, world size 1), as CLaMP 3 calls it.</summary>
/// <remarks>
/// <c>logits_text_music = s·t·mᵀ</c> (official <c>logits_per_image</c>: CLaMP 3 passes the text features as "image"),
/// <c>logits_music_text = s·m·tᵀ</c> (a second matmul, not a transpose, as the official code), and
/// <c>loss = (CE(logits_text_music, arange(B)) + CE(logits_music_text, arange(B))) / 2</c>, mean reduction.
/// The official scale is the constant 1 on raw (unnormalised) projected features.
/// </remarks>
public static class ClipLoss
{
    /// <summary>All three results are new tensors in the caller's dispose scope.</summary>
    /// <param name="logitScale">null: the constant 1 (official); else a scalar tensor multiplied in (e.g. exp of a learnable log-scale).</param>
    /// <param name="normalize">L2-normalise both feature sets first (CLIP style; not what CLaMP 3 does).</param>
    public static (Tensor Loss, Tensor LogitsTextMusic, Tensor LogitsMusicText) Compute(Tensor textFeatures, Tensor musicFeatures, Tensor? logitScale = null, bool normalize = false)
    {
        if (textFeatures.dim() != 2 || musicFeatures.dim() != 2 || textFeatures.shape[0] != musicFeatures.shape[0] || textFeatures.shape[1] != musicFeatures.shape[1])
            throw new ArgumentException($"Text and music features must both be [B, D] with the same B and D, got [{string.Join(", ", textFeatures.shape)}] and [{string.Join(", ", musicFeatures.shape)}].");
        if (textFeatures.shape[0] == 0) throw new ArgumentException("The contrastive loss needs at least one pair.");
        using var scope = NewDisposeScope();
        var t = normalize ? nn.functional.normalize(textFeatures, p: 2, dim: 1) : textFeatures;
        var m = normalize ? nn.functional.normalize(musicFeatures, p: 2, dim: 1) : musicFeatures;
        var logitsTm = t.matmul(m.t());
        var logitsMt = m.matmul(t.t());
        if (logitScale is not null)
        {
            logitsTm = logitScale.mul(logitsTm);
            logitsMt = logitScale.mul(logitsMt);
        }
        var labels = KeptScalarOps.Arange(t.shape[0], t.device);
        var loss = nn.functional.cross_entropy(logitsTm, labels).Plus(nn.functional.cross_entropy(logitsMt, labels)).DividedBy(2);
        return (loss.MoveToOuterDisposeScope(), logitsTm.MoveToOuterDisposeScope(), logitsMt.MoveToOuterDisposeScope());
    }
}
