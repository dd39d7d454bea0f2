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
public sealed class M3PatchEncoder : nn.Module
{
    private readonly Linear patch_embedding;
    private readonly BertModel @base;

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
    public Tensor EmbedPatches(Tensor patches)
    {
        if (patches.dim() != 3 || patches.shape[2] != PatchSize)
            throw new ArgumentException($"Patches must be [batch, patches, {PatchSize}], got [{string.Join(", ", patches.shape)}].", nameof(patches));
        using var scope = NewDisposeScope();
        long batch = patches.shape[0], length = patches.shape[1];
        var ids = patches.to(ScalarType.Int64).reshape(batch * length, PatchSize);
        if (ids.numel() > 0)
        {
            // The official one_hot(num_classes=128) raises on such ids; fail the same way instead of reading another column.
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= Clamp3Config.PatchVocabSize)
                throw new ArgumentOutOfRangeException(nameof(patches), $"Patch ids must be in 0..{Clamp3Config.PatchVocabSize - 1}, found {(min < 0 ? min : max)}.");
        }
        using Scalar patchSize = PatchSize; // explicit and held for the call (see KeptScalarOps)
        var columns = ids.Plus(arange(patchSize, dtype: ScalarType.Int64, device: ids.device).Times((long)Clamp3Config.PatchVocabSize));
        // Row p·128+id of the transposed weight is the column the one-hot selects. Gathering rows of the strided view
        // weight.t() reads values 32 KB apart, so the table is made contiguous first (a copy of the weight;
        // differentiable, so training still reaches it).
        var table = patch_embedding.weight!.t().contiguous();
        long rows = batch * length, hidden = table.shape[1];
        Tensor sum;
        // Not in train mode: TorchSharp's EmbeddingBag constructor draws a throw-away random weight from libtorch's global
        // generator, which would shift the dropout masks of a training forward without graph (the gradient cache's first
        // pass) against its replay with graph.
        if (!training && (!is_grad_enabled() || !patch_embedding.weight!.requires_grad))
        {
            // Inference: one fused gather-and-sum per patch (embedding_bag, mode sum), nothing [rows, patch_size, H] is made.
            using var bag = nn.EmbeddingBag_from_pretrained(table, freeze: true, mode: EmbeddingBagMode.Sum);
            sum = bag.forward(columns, null, null).Plus(patch_embedding.bias!);
        }
        else
        {
            // Training: a plain gather and sum (differentiable w.r.t. the weight), over blocks of patches that keep
            // the [rows, patch_size, H] intermediate near 32 MB.
            long block = Math.Max(1, (1L << 23) / ((long)PatchSize * hidden));
            var parts = new List<Tensor>();
            for (long start = 0; start < rows; start += block)
            {
                long count = Math.Min(block, rows - start);
                parts.Add(table.index_select(0, columns.narrow(0, start, count).reshape(-1)).view(count, PatchSize, hidden).sum(1));
            }
            sum = (parts.Count == 1 ? parts[0] : cat(parts, 0)).Plus(patch_embedding.bias!);
        }
        return sum.reshape(batch, length, table.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary><c>last_hidden_state</c> [B, S, H] for patch ids [B, S, patch_size] and a float mask [B, S].</summary>
    public Tensor Forward(Tensor patches, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var embeds = EmbedPatches(patches);
        return @base.ForwardEmbeds(embeds, mask).MoveToOuterDisposeScope();
    }
}
