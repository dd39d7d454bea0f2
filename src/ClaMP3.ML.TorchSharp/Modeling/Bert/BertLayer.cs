using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertLayer</c> (post-LN): <c>a = LN1(attn(h) + h)</c>; <c>h' = LN2(W2·gelu(W1·a) + a)</c>.</summary>
public sealed class BertLayer : nn.Module
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    public BertLayer(BertConfig config) : base("BertLayer")
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.Forward(hidden, additiveMask);
        return output.Forward(intermediate.Forward(attended), attended).MoveToOuterDisposeScope();
    }
}
