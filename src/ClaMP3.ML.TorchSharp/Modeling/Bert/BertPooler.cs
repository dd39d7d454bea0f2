using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertPooler</c> (<c>tanh(dense(h[:, 0]))</c>). It is in every official checkpoint, so it is kept for
/// loading and saving by name, but no CLaMP 3 output uses it.</summary>
public sealed class BertPooler : nn.Module
{
    private readonly Linear dense;

    public BertPooler(BertConfig config) : base("BertPooler")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return dense.forward(hidden.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }
}
