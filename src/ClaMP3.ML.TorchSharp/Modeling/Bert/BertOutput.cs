using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertOutput</c>: <c>LayerNorm(dense(intermediate) + attention_output)</c>.</summary>
public sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly double dropout;

    public BertOutput(BertConfig config) : base("BertOutput")
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    public Tensor Forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        var projected = dense.forward(intermediate);
        if (training && dropout > 0) projected = nn.functional.dropout(projected, dropout, true);
        return LayerNorm.forward(projected.Plus(input)).MoveToOuterDisposeScope();
    }
}
