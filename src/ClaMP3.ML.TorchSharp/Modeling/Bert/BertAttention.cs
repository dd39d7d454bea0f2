using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertAttention</c>: <c>self</c> then <c>output</c>.</summary>
public sealed class BertAttention : nn.Module
{
    // "self" is the state-dict name; C# needs the @ to use it as an identifier.
    private readonly BertSelfAttention @self;
    private readonly BertSelfOutput output;

    public BertAttention(BertConfig config) : base("BertAttention")
    {
        @self = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var context = @self.Forward(hidden, additiveMask);
        return output.Forward(context, hidden).MoveToOuterDisposeScope();
    }
}
