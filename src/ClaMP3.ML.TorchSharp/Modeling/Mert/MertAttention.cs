using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>HF <c>HubertAttention</c> (self-attention, no mask): q is scaled by head_dim^−½ after its projection,
/// per-head softmax(q·kᵀ)·v, then <c>out_proj</c>.</summary>
public sealed class MertAttention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly Linear k_proj;
    public readonly Linear v_proj;
    public readonly Linear q_proj;
    public readonly Linear out_proj;
#pragma warning restore IDE1006

    private readonly int _heads;
    private readonly int _headDim;
    private readonly double _scaling;

    public MertAttention(MertConfig config) : base("attention")
    {
        int h = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _headDim = h / _heads;
        _scaling = Math.Pow(_headDim, -0.5);
        k_proj = nn.Linear(h, h, hasBias: true);
        v_proj = nn.Linear(h, h, hasBias: true);
        q_proj = nn.Linear(h, h, hasBias: true);
        out_proj = nn.Linear(h, h, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(b, t, _heads, _headDim).transpose(1, 2); // (B, heads, T, d)
        var q = Heads(q_proj.call(hidden).TimesInPlace(_scaling));
        var k = Heads(k_proj.call(hidden));
        var v = Heads(v_proj.call(hidden));
        var weights = q.matmul(k.transpose(2, 3)).softmax(-1);
        var context = weights.matmul(v).transpose(1, 2).reshape(b, t, _heads * _headDim);
        return out_proj.call(context).MoveToOuterDisposeScope();
    }
}
