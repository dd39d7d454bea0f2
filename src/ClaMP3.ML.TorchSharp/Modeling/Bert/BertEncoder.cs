using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertEncoder</c>: the stack <c>layer.0 … layer.N−1</c>.</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly ModuleList<BertLayer> layer;
#pragma warning restore IDE1006

    public BertEncoder(BertConfig config) : base("BertEncoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, H] embeddings</param>
    /// <param name="additiveMask">[B, 1, 1, L] (HF's extended mask, see <see cref="BertModel.ExtendedMask"/>).</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        // One dispose scope per layer: only the running hidden state survives a layer, so activations of a deep
        // stack never pile up (a single scope around the whole forward kept every layer's temporaries alive).
        var current = hidden;
        for (int i = 0; i < layer.Count; i++)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
                next = layer[i].call(current, additiveMask).MoveToOuterDisposeScope();
            if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, hidden) ? hidden.alias() : current;
    }
}
