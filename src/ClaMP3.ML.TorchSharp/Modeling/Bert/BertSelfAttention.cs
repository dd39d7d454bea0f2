using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfAttention</c> (eval, absolute positions): heads are contiguous blocks of head_dim;
/// <c>softmax(q·kᵀ/√d + mask)·v</c> through libtorch's scaled_dot_product_attention (same maths as eager).</summary>
public sealed class BertSelfAttention : nn.Module
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly long heads;
    private readonly long headDim;
    private readonly double dropout;

    public BertSelfAttention(BertConfig config) : base("BertSelfAttention")
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        heads = config.NumAttentionHeads;
        headDim = config.HeadDim;
        dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, H]</param>
    /// <param name="additiveMask">[B, 1, 1, L]: 0 for real keys, finfo.min for padding (HF's extended mask).</param>
    public Tensor Forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Linear projection) => projection.forward(hidden).view(batch, length, heads, headDim).transpose(1, 2);
        var context = nn.functional.scaled_dot_product_attention(Heads(query), Heads(key), Heads(value), additiveMask, training ? dropout : 0.0);
        return context.transpose(1, 2).reshape(batch, length, heads * headDim).MoveToOuterDisposeScope();
    }
}
