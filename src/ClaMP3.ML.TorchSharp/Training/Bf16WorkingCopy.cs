using ClaMP3.ML.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// Mixed-precision training as torch autocast does it, for TorchSharp 0.107 (which has no autocast): the weights the
/// optimizer updates (the masters) and the AdamW moments stay float32; a bfloat16 copy of the model runs the forward and
/// backward. <see cref="Refresh"/> rounds the masters into the copy before a step; <see cref="MoveGradients"/> hands the
/// copy's gradients to the masters in float32 (undefined stays undefined, so untouched tensors are still skipped). So
/// small updates accumulate in float32 instead of vanishing in bfloat16's 8-bit mantissa, as they did when the weights
/// themselves were bfloat16. The contrastive loss runs in float32 (<see cref="ContrastiveObjective"/>); LayerNorm and
/// softmax accumulate in float32 inside libtorch's bfloat16 kernels, their outputs rounded to bfloat16.
/// </summary>
internal sealed class Bf16WorkingCopy : IDisposable
{
    private readonly List<(Parameter Master, Parameter Work)> _parameters = new();
    private readonly List<(Tensor Master, Tensor Work)> _buffers = new();

    /// <param name="master">The float32 model (its <c>requires_grad</c> flags already set for the stage).</param>
    public Bf16WorkingCopy(Clamp3Model master, Device device)
    {
        Model = new Clamp3Model(master.Config);
        Model.to(device).to(ScalarType.BFloat16);
        var work = Model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter, StringComparer.Ordinal);
        foreach (var (name, p) in master.named_parameters())
        {
            var w = work[name];
            w.requires_grad = p.requires_grad;
            _parameters.Add((p, w));
        }
        var workBuffers = Model.named_buffers().ToDictionary(kv => kv.name, kv => kv.buffer, StringComparer.Ordinal);
        foreach (var (name, b) in master.named_buffers())
            if (workBuffers.TryGetValue(name, out var w)) _buffers.Add((b, w));
        Refresh();
    }

    /// <summary>The bfloat16 model that computes.</summary>
    public Clamp3Model Model { get; }

    /// <summary>Copies the masters into the working copy (rounded to bfloat16).</summary>
    public void Refresh()
    {
        using var noGrad = no_grad();
        foreach (var (master, work) in _parameters) work.copy_(master);
        foreach (var (master, work) in _buffers) work.copy_(master);
    }

    /// <summary>The working copy's gradients become the masters' (float32); the copy's are cleared.</summary>
    public void MoveGradients()
    {
        using var scope = NewDisposeScope(); // the grad getter returns a fresh wrapper each time
        foreach (var (master, work) in _parameters)
        {
            if (!master.requires_grad) continue;
            var g = work.grad;
            master.grad = g?.to(ScalarType.Float32);
            if (g is not null) work.grad = null;
        }
    }

    public void Dispose() => Model.Dispose();
}
