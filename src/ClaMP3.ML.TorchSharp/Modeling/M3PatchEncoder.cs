using ClaMP3.ML.Modeling.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling;

/// <summary>
/// The official <c>M3PatchEncoder</c>: each patch of <c>patch_size</c> character ids (0..127) is one-hot encoded to
/// <c>patch_size·128</c> values, mapped by <c>patch_embedding</c> (Linear) to the hidden size, then a BERT runs over
/// the patches (<c>base</c>, with <c>inputs_embeds</c>).
/// </summary>
/// <remarks>One-hot × Linear is the bias plus the sum over positions p of weight column <c>p·128 + id_p</c>; that is
/// computed as a gather from the transposed weight and a sum (same numbers up to summation order, without the
/// <c>patch_size·128</c>-wide one-hot matmul, and still differentiable for training). <c>clamp3 bench model</c> times both.</remarks>
public sealed class M3PatchEncoder : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear patch_embedding;
    private readonly BertModel @base;
#pragma warning restore IDE1006

    // Not a registered component: it holds no state of its own (its weight is set from patch_embedding per call).
    private readonly ReusedEmbeddingBag _patchBag = new();

    public M3PatchEncoder(BertConfig config, int patchSize) : base("M3PatchEncoder")
    {
        PatchSize = patchSize;
        patch_embedding = nn.Linear((long)patchSize * Clamp3Config.PatchVocabSize, config.HiddenSize);
        @base = new BertModel(config);
        RegisterComponents();
    }

    public int PatchSize { get; }
    public BertModel Base => @base;
    public Linear PatchEmbedding => patch_embedding;

    /// <summary>The patch embeddings [B, S, H] of patch ids [B, S, patch_size] (int64, each in 0..127).</summary>
    /// <remarks>One fused gather-and-sum per patch (libtorch's <c>embedding_bag</c>, mode sum) over the transposed
    /// weight, for inference and training alike: <c>embedding_bag</c> is differentiable w.r.t. its weight, and the
    /// table is taken from the live weight on every call, so optimizer updates are always seen.</remarks>
    public Tensor EmbedPatches(Tensor patches)
    {
        if (patches.dim() != 3 || patches.shape[2] != PatchSize)
            throw new ArgumentException($"Patches must be [batch, patches, {PatchSize}], got [{string.Join(", ", patches.shape)}].", nameof(patches));
        using var scope = NewDisposeScope();
        long batch = patches.shape[0], length = patches.shape[1];
        var ids = patches.to(ScalarType.Int64).reshape(batch * length, PatchSize);
        CheckPatchIds(ids);
        var columns = ids.Plus(PatchOffsets(ids.device));
        // Row p·128+id of the transposed weight is the column the one-hot selects. Gathering rows of the strided view
        // weight.t() reads values 32 KB apart, so the table is made contiguous first (a differentiable copy).
        var table = patch_embedding.weight!.t().contiguous();
        var sum = _patchBag.Sum(table, columns).Plus(patch_embedding.bias!);
        return sum.reshape(batch, length, table.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>The official <c>one_hot(num_classes=128)</c> raises on ids outside 0..127; fail the same way instead
    /// of reading another column. One device sync (the check), the min/max only on failure.</summary>
    private static void CheckPatchIds(Tensor ids)
    {
        if (ids.numel() == 0) return;
        using var low = ids.LessThan(0);
        using var high = ids.GreaterOrEqual(Clamp3Config.PatchVocabSize);
        using var bad = low.logical_or(high);
        using var any = bad.any();
        if (!any.item<bool>()) return;
        long min = ids.min().item<long>(), max = ids.max().item<long>();
        throw new ArgumentOutOfRangeException("patches", $"Patch ids must be in 0..{Clamp3Config.PatchVocabSize - 1}, found {(min < 0 ? min : max)}.");
    }

    /// <summary>p·128 for each position p of a patch: added to the ids, they index the one-hot's columns.</summary>
    private Tensor PatchOffsets(Device device) =>
        KeptScalarOps.Arange(0, (long)PatchSize * Clamp3Config.PatchVocabSize, Clamp3Config.PatchVocabSize, device);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _patchBag.Dispose();
        base.Dispose(disposing);
    }

    /// <summary><c>last_hidden_state</c> [B, S, H] for patch ids [B, S, patch_size] and a float mask [B, S].</summary>
    public override Tensor forward(Tensor patches, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var embeds = EmbedPatches(patches);
        return @base.call(null, mask, embeds).MoveToOuterDisposeScope();
    }
}
