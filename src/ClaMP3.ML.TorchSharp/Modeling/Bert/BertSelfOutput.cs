using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfOutput</c>: <c>LayerNorm(dense(context) + input)</c> (post-LN; dropout on the projection only in train mode with a configured rate).</summary>
internal sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    private readonly double _dropout;

    public BertSelfOutput(BertConfig config) : base("BertSelfOutput")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    /// <param name="context">[B, L, H]: the <see cref="BertSelfAttention"/> output</param>
    /// <param name="input">[B, L, H]: the attention block's input (the residual)</param>
    public override Tensor forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = dense.call(context);
        if (training && _dropout > 0) projected = nn.functional.dropout(projected, _dropout, true);
        return LayerNorm.call(projected.Plus(input)).MoveToOuterDisposeScope();
    }
}
