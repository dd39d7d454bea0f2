using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertPooler</c> (<c>tanh(dense(h[:, 0]))</c>). It is in every official checkpoint, so it is kept for
/// loading and saving by name, but no CLaMP 3 output uses it.</summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Linear dense;
#pragma warning restore IDE1006

    public BertPooler(BertConfig config) : base("BertPooler")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return dense.call(hidden.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }
}
