using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>CLaMP 3's <c>MusicHubertModel</c> (MERT) in eval mode: feature encoder → feature projection → encoder.
/// Parameter names are those of the HF state dict (<c>feature_extractor.conv_layers.0.conv.weight</c>, …).
/// Dropout, LayerDrop and SpecAugment are off; <c>masked_spec_embed</c> is loaded but unused, as in eval.</summary>
public sealed class MusicHubertModel : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    public readonly Parameter? masked_spec_embed;
    internal readonly MertFeatureEncoder feature_extractor;
    internal readonly MertFeatureProjection feature_projection;
    internal readonly MertEncoder encoder;
#pragma warning restore IDE1006

    public MertConfig Config { get; }

    public MusicHubertModel(MertConfig config) : base("music_hubert")
    {
        config.Validate();
        Config = config;
        if (config.HasMaskedSpecEmbed) masked_spec_embed = new Parameter(zeros(config.HiddenSize), requires_grad: false);
        feature_extractor = new MertFeatureEncoder(config);
        feature_projection = new MertFeatureProjection(config);
        encoder = new MertEncoder(config);
        RegisterComponents();
        eval();
    }

    /// <summary>(B, N) normalised 24 kHz samples → last hidden state (B, T, H).</summary>
    public override Tensor forward(Tensor input) => Run(input, null);

    /// <summary>All L = layers + 1 hidden states (HF <c>output_hidden_states=True</c>), each (B, T, H).
    /// Keeps them all alive: for tests and short inputs; extraction uses <see cref="HiddenStateTimeMeans"/>.</summary>
    public Tensor[] HiddenStates(Tensor input)
    {
        var states = new Tensor[Config.NumHiddenStates];
        using var last = Run(input, (i, h) => states[i] = h.clone().DetachFromDisposeScope());
        return states;
    }

    /// <summary>Per-window mean over time of every hidden state: (L, B, H). What extract_mert.py keeps of each
    /// window (<c>stack(hidden_states).mean(-2)</c>), computed layer by layer so only one layer's activations live.</summary>
    public Tensor HiddenStateTimeMeans(Tensor input)
    {
        var means = new Tensor[Config.NumHiddenStates];
        try
        {
            using var last = Run(input, (i, h) => means[i] = h.mean(new long[] { 1 }).DetachFromDisposeScope());
            return stack(means, 0);
        }
        finally
        {
            foreach (var m in means) m?.Dispose();
        }
    }

    private Tensor Run(Tensor input, Action<int, Tensor>? onHiddenState)
    {
        if (input.dim() != 2)
            throw new ArgumentException($"MERT expects (batch, samples), got ({string.Join(", ", input.shape)}).");
        long frames = Config.FramesFor(input.shape[1]);
        if (frames < 1)
            throw new ArgumentException($"a MERT window needs enough samples for at least one frame; {input.shape[1]} samples give none.");
        using var noGrad = no_grad();
        Tensor projected;
        using (var scope = NewDisposeScope())
        {
            using var features = feature_extractor.call(input);
            projected = feature_projection.call(features).MoveToOuterDisposeScope();
        }
        using (projected)
            return encoder.call(projected, onHiddenState);
    }

    /// <summary>Fills every parameter with seeded random values of realistic scale (benchmarks only).</summary>
    public void InitializeRandom(long seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("layer_norm.weight") || name.EndsWith("weight_g")) p.FillInPlace(1.0);
            else if (name.EndsWith("layer_norm.bias") || name.EndsWith(".bias")) p.zero_();
            else p.normal_(0, 0.02, generator);
        }
    }
}
