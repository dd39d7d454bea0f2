using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfAttention</c> (eval, absolute positions): heads are contiguous blocks of head_dim;
/// <c>softmax(q·kᵀ/√d + mask)·v</c> through libtorch's scaled_dot_product_attention (same maths as eager).</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
#pragma warning restore IDE1006

    private readonly long _heads;
    private readonly long _headDim;
    private readonly double _dropout;

    public BertSelfAttention(BertConfig config) : base("BertSelfAttention")
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        _dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, H]</param>
    /// <param name="additiveMask">[B, 1, 1, L]: 0 for real keys, finfo.min for padding (HF's extended mask).</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Linear projection) => projection.call(hidden).view(batch, length, _heads, _headDim).transpose(1, 2);
        var context = nn.functional.scaled_dot_product_attention(Heads(query), Heads(key), Heads(value), additiveMask, training ? _dropout : 0.0);
        return context.transpose(1, 2).reshape(batch, length, _heads * _headDim).MoveToOuterDisposeScope();
    }
}
