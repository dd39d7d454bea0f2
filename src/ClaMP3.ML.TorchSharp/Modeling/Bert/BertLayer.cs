using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertLayer</c> (post-LN): <c>a = LN1(attn(h) + h)</c>; <c>h' = LN2(W2·gelu(W1·a) + a)</c>.</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;
#pragma warning restore IDE1006

    public BertLayer(BertConfig config) : base("BertLayer")
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, H]</param>
    /// <param name="additiveMask">[B, 1, 1, L] (HF's extended mask, see <see cref="BertModel.ExtendedMask"/>).</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(hidden, additiveMask);
        return output.call(intermediate.call(attended), attended).MoveToOuterDisposeScope();
    }
}
