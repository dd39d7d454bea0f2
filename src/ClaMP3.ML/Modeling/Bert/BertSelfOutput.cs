using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertSelfOutput</c>: <c>LayerNorm(dense(context) + input)</c> (post-LN; dropout off).</summary>
public sealed class BertSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public BertSelfOutput(BertConfig config) : base("BertSelfOutput")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dense.forward(context) + input).MoveToOuterDisposeScope();
    }
}
