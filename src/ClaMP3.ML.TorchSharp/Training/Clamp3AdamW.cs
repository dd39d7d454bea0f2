using ClaMP3.ML.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// AdamW exactly as torch 1.13's <c>_single_tensor_adamw</c> (<c>foreach=False</c>, <c>amsgrad=False</c>), which the official
/// scripts use: per tensor with a gradient, <c>p *= 1 - lr·wd</c> (decoupled decay first, on the old p),
/// <c>m = m·β1 + g·(1-β1)</c>, <c>v = v·β2 + g²·(1-β2)</c>, <c>denom = sqrt(v)/sqrt(1-β2^t) + eps</c> (eps after the bias
/// correction), <c>p += -(lr/(1-β1^t))·m/denom</c>. Scalars are computed in double and rounded to float32 by libtorch
/// when applied, as Python's are. Tensors whose gradient is undefined are skipped entirely (no decay, no moment
/// update, step count not advanced), which is what keeps the unused poolers unchanged.
/// </summary>
/// <remarks>Written by hand rather than with TorchSharp's <c>optim.AdamW</c> so that the operation order, the skipping rule
/// and the <c>state_dict()</c> layout are the ones torch uses (and so that they stay so across TorchSharp versions).</remarks>
public sealed class Clamp3AdamW : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;
    private readonly long[] _steps;
    private readonly Tensor?[] _expAvg;
    private readonly Tensor?[] _expAvgSq;
    // The step-independent Scalars, made once: fields keep them reachable while native calls read them (see Step).
    private readonly Scalar _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _eps;

    public Clamp3AdamW(IReadOnlyList<(string Name, Parameter Parameter)> parameters, double learningRate = 1e-5,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (learningRate < 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || eps < 0 || weightDecay < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), "AdamW needs lr ≥ 0, 0 ≤ betas < 1, eps ≥ 0, weight decay ≥ 0.");
        this._parameters = parameters;
        LearningRate = InitialLearningRate = learningRate;
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        _beta1 = beta1.ToScalar(); _oneMinusBeta1 = (1 - beta1).ToScalar();
        _beta2 = beta2.ToScalar(); _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
        _steps = new long[parameters.Count];
        _expAvg = new Tensor?[parameters.Count];
        _expAvgSq = new Tensor?[parameters.Count];
    }

    public double LearningRate { get; set; }
    /// <summary>The lr the optimizer was built with (torch's <c>initial_lr</c>, which a scheduler multiplies).</summary>
    public double InitialLearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;

    /// <summary>The step count of parameter <paramref name="index"/> (0 until it first had a gradient).</summary>
    public long StepCount(int index) => _steps[index];

    /// <summary>One AdamW update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Parameter;
            using var scope = NewDisposeScope();
            var g = p.grad;
            if (g is null) continue;
            if (_expAvg[i] is null)
            {
                _expAvg[i] = zeros_like(p).DetachFromDisposeScope();
                _expAvgSq[i] = zeros_like(p).DetachFromDisposeScope();
            }
            var m = _expAvg[i]!;
            var v = _expAvgSq[i]!;
            long t = ++_steps[i];
            double biasCorrection1 = 1 - Math.Pow(Beta1, t);
            double biasCorrection2 = 1 - Math.Pow(Beta2, t);
            double stepSize = LearningRate / biasCorrection1;
            // Explicit Scalars held by `using` (the per-step ones) or by fields: TorchSharp passes a Scalar's raw handle to
            // native code, so an implicit temporary can be finalized by the GC while the call still reads it (seen as
            // "toFloat" assertion failures).
            using var decay = (1 - LearningRate * WeightDecay).ToScalar();
            using var sqrtBc2 = Math.Sqrt(biasCorrection2).ToScalar();
            using var negStep = (-stepSize).ToScalar();
            p.mul_(decay);
            m.mul_(_beta1).add_(g, alpha: _oneMinusBeta1);
            v.mul_(_beta2).addcmul_(g, g, value: _oneMinusBeta2);
            var denom = v.sqrt().div_(sqrtBc2).add_(_eps);
            p.addcdiv_(m, denom, value: negStep);
        }
    }

    /// <summary><c>zero_grad(set_to_none=True)</c>: gradients become undefined, so unused tensors stay skipped.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope(); // the grad getter returns a fresh wrapper each time
        foreach (var (_, p) in _parameters)
            if (p.grad is not null) p.grad = null;
    }

    /// <summary>torch's <c>optimizer.state_dict()</c>: <c>{'state': {i: {'step': tensor(float), 'exp_avg', 'exp_avg_sq'}},
    /// 'param_groups': [{'lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'capturable',
    /// 'differentiable', 'fused', 'initial_lr', 'params': [0..n-1]}]}</c>, indices in parameter order.</summary>
    public Dictionary<string, object?> StateDict()
    {
        var state = new Dictionary<long, object?>();
        for (int i = 0; i < _parameters.Count; i++)
        {
            if (_expAvg[i] is null) continue;
            state[i] = new Dictionary<string, object?>
            {
                ["step"] = CheckpointTensor.FromFloat32(new[] { (float)_steps[i] }),
                ["exp_avg"] = CheckpointTensor.FromTensor(_expAvg[i]!),
                ["exp_avg_sq"] = CheckpointTensor.FromTensor(_expAvgSq[i]!),
            };
        }
        var group = new Dictionary<string, object?>
        {
            ["lr"] = LearningRate,
            ["betas"] = new object?[] { Beta1, Beta2 },
            ["eps"] = Eps,
            ["weight_decay"] = WeightDecay,
            ["amsgrad"] = false,
            ["foreach"] = null,
            ["maximize"] = false,
            ["capturable"] = false,
            ["differentiable"] = false,
            ["fused"] = null,
            ["initial_lr"] = InitialLearningRate,
            ["params"] = Enumerable.Range(0, _parameters.Count).Select(i => (long)i).ToList(),
        };
        return new Dictionary<string, object?> { ["state"] = state, ["param_groups"] = new List<object?> { group } };
    }

    /// <summary>Restores moments, step counts and lr from a <see cref="StateDict"/> read back by <see cref="CheckpointReader.ReadPickle"/>.</summary>
    public void LoadStateDict(object? stateDict, string source)
    {
        if (stateDict is not IReadOnlyDictionary<string, object?> sd || !sd.TryGetValue("state", out var stateObj) || !sd.TryGetValue("param_groups", out var groupsObj))
            throw new InvalidDataException($"{source}: 'optimizer' is not a torch optimizer state dict (needs 'state' and 'param_groups').");
        if (groupsObj is not IReadOnlyList<object?> groups || groups.Count != 1 || groups[0] is not IReadOnlyDictionary<string, object?> group)
            throw new InvalidDataException($"{source}: the optimizer must have exactly one parameter group.");
        if (group.TryGetValue("params", out var ps) && ps is IReadOnlyList<object?> list && list.Count != _parameters.Count)
            throw new InvalidDataException($"{source}: the optimizer state has {list.Count} parameters, this model trains {_parameters.Count} (another stage or freezing?).");
        if (group.TryGetValue("lr", out var lr) && lr is double d) LearningRate = d;
        IEnumerable<KeyValuePair<object, object?>> entries = stateObj switch
        {
            IReadOnlyDictionary<object, object?> o => o,
            IReadOnlyDictionary<string, object?> s when s.Count == 0 => Array.Empty<KeyValuePair<object, object?>>(),
            _ => throw new InvalidDataException($"{source}: optimizer 'state' is not a dict keyed by parameter index."),
        };
        using var noGrad = torch.no_grad();
        foreach (var (key, value) in entries)
        {
            int i = key is long l && l >= 0 && l < _parameters.Count ? (int)l : throw new InvalidDataException($"{source}: optimizer state key {key} is not a parameter index.");
            if (value is not IReadOnlyDictionary<string, object?> s || s.GetValueOrDefault("step") is not CheckpointTensor step
                || s.GetValueOrDefault("exp_avg") is not CheckpointTensor m || s.GetValueOrDefault("exp_avg_sq") is not CheckpointTensor v)
                throw new InvalidDataException($"{source}: optimizer state {i} lacks step/exp_avg/exp_avg_sq.");
            var p = _parameters[i].Parameter;
            if (!m.Shape.SequenceEqual(p.shape) || !v.Shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{source}: optimizer state {i} ({_parameters[i].Name}) has shape [{string.Join(", ", m.Shape)}], the parameter [{string.Join(", ", p.shape)}].");
            _expAvg[i]?.Dispose(); _expAvgSq[i]?.Dispose();
            using var scope = NewDisposeScope(); // the copies before the dtype conversion
            _expAvg[i] = m.ToTensor(p.device).to(p.dtype).DetachFromDisposeScope();
            _expAvgSq[i] = v.ToTensor(p.device).to(p.dtype).DetachFromDisposeScope();
            _steps[i] = (long)Math.Round(step.ToFloat32()[0]);
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _parameters.Count; i++) { _expAvg[i]?.Dispose(); _expAvgSq[i]?.Dispose(); _expAvg[i] = _expAvgSq[i] = null; }
        _beta1.Dispose(); _oneMinusBeta1.Dispose(); _beta2.Dispose(); _oneMinusBeta2.Dispose(); _eps.Dispose();
    }
}
