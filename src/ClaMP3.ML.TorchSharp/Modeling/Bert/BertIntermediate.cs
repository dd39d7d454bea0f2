using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertIntermediate</c>: <c>gelu(dense(x))</c> with the exact (erf) GELU.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear dense;
#pragma warning restore IDE1006

    public BertIntermediate(BertConfig config) : base("BertIntermediate")
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return nn.functional.gelu(dense.call(hidden)).MoveToOuterDisposeScope();
    }
}
