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
/// computed as gathers from the transposed weight (same numbers up to summation order, without the
/// <c>patch_size·128</c>-wide one-hot matmul, and still differentiable for training).</remarks>
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
        var columns = ids + arange(PatchSize, dtype: ScalarType.Int64, device: ids.device).mul(Clamp3Config.PatchVocabSize);
        var table = patch_embedding.weight!.t(); // [patch_size·128, H]: row p·128+id is the column the one-hot selects
        Tensor sum = patch_embedding.bias!.expand(batch * length, table.shape[1]);
        // Accumulate position by position: a single gather of all positions would materialise [B·S, patch_size, H].
        for (long p = 0; p < PatchSize; p++)
            sum = sum + table.index_select(0, columns.select(1, p));
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
