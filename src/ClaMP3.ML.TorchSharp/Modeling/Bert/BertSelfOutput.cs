using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfOutput</c>: <c>LayerNorm(dense(context) + input)</c> (post-LN; dropout on the projection only in train mode with a configured rate).</summary>
public sealed class BertSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly double dropout;

    public BertSelfOutput(BertConfig config) : base("BertSelfOutput")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    public Tensor Forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = dense.forward(context);
        if (training && dropout > 0) projected = nn.functional.dropout(projected, dropout, true);
        return LayerNorm.forward(projected.Plus(input)).MoveToOuterDisposeScope();
    }
}
