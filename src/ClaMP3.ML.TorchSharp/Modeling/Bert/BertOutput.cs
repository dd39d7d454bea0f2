using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfOutput</c> and <c>BertOutput</c>, which differ only in the projection's input width:
/// <c>LayerNorm(dense(x) + input)</c> (post-LN; dropout on the projection only in train mode with a configured rate).</summary>
internal sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    private readonly double _dropout;

    /// <param name="config">the encoder's config</param>
    /// <param name="inputSize">the width of <c>x</c>: hidden_size after self-attention (<c>BertSelfOutput</c>),
    /// intermediate_size after the feed-forward expansion (<c>BertOutput</c>)</param>
    public BertOutput(BertConfig config, long inputSize) : base("BertOutput")
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    /// <param name="x">[B, L, inputSize]: the <see cref="BertSelfAttention"/> or <see cref="BertIntermediate"/> output</param>
    /// <param name="input">[B, L, H]: the residual</param>
    public override Tensor forward(Tensor x, Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = dense.call(x);
        if (training && _dropout > 0) projected = nn.functional.dropout(projected, _dropout, true);
        return LayerNorm.call(projected.Plus(input)).MoveToOuterDisposeScope();
    }
}
