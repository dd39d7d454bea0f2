using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertEncoder</c>: the stack <c>layer.0 … layer.N−1</c>.</summary>
public sealed class BertEncoder : nn.Module
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base("BertEncoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor additiveMask)
    {
        // One dispose scope per layer: only the running hidden state survives a layer, so activations of a deep
        // stack never pile up (a single scope around the whole forward kept every layer's temporaries alive).
        var current = hidden;
        for (int i = 0; i < layer.Count; i++)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
                next = layer[i].Forward(current, additiveMask).MoveToOuterDisposeScope();
            if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, hidden) ? hidden.alias() : current;
    }
}
