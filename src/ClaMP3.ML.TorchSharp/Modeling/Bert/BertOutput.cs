using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertOutput</c>: <c>LayerNorm(dense(intermediate) + attention_output)</c>.</summary>
internal sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    private readonly double _dropout;

    public BertOutput(BertConfig config) : base("BertOutput")
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        _dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    /// <param name="intermediate">[B, L, intermediate_size]: the <see cref="BertIntermediate"/> output</param>
    /// <param name="input">[B, L, H]: the attention output (the residual)</param>
    public override Tensor forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = dense.call(intermediate);
        if (training && _dropout > 0) projected = nn.functional.dropout(projected, _dropout, true);
        return LayerNorm.call(projected.Plus(input)).MoveToOuterDisposeScope();
    }
}
