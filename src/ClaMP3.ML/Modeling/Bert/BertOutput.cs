using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertOutput</c>: <c>LayerNorm(dense(intermediate) + attention_output)</c>.</summary>
public sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public BertOutput(BertConfig config) : base("BertOutput")
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dense.forward(intermediate) + input).MoveToOuterDisposeScope();
    }
}
