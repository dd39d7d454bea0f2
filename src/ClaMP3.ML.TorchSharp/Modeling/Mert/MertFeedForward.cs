using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertFeedForward</c>: <c>output_dense(gelu(intermediate_dense(x)))</c> (dropouts off in eval).</summary>
public sealed class MertFeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly Linear intermediate_dense;
    public readonly Linear output_dense;
#pragma warning restore IDE1006

    public MertFeedForward(MertConfig config) : base("feed_forward")
    {
        intermediate_dense = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: true);
        output_dense = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var inner = intermediate_dense.call(input);
        using var activated = nn.functional.gelu(inner);
        return output_dense.call(activated);
    }
}
