using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertIntermediate</c>: <c>gelu(dense(x))</c> with the exact (erf) GELU.</summary>
public sealed class BertIntermediate : nn.Module
{
    private readonly Linear dense;

    public BertIntermediate(BertConfig config) : base("BertIntermediate")
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return nn.functional.gelu(dense.forward(hidden)).MoveToOuterDisposeScope();
    }
}
