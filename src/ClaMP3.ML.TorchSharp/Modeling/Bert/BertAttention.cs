using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertAttention</c>: <c>self</c> then <c>output</c>.</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    // "self" is the state-dict name; C# needs the @ to use it as an identifier.
    private readonly BertSelfAttention @self;
    private readonly BertOutput output;
#pragma warning restore IDE1006

    public BertAttention(BertConfig config) : base("BertAttention")
    {
        @self = new BertSelfAttention(config);
        output = new BertOutput(config, config.HiddenSize); // HF BertSelfOutput
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, H]</param>
    /// <param name="additiveMask">[B, 1, 1, L] (HF's extended mask, see <see cref="BertModel.ExtendedMask"/>).</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var context = @self.call(hidden, additiveMask);
        return output.call(context, hidden).MoveToOuterDisposeScope();
    }
}
