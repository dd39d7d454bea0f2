using ClaMP3.ML.Modeling.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling;

/// <summary>The three encoders of CLaMP 3 and their projections, with the official state-dict names
/// (<c>text_model</c>, <c>text_proj</c>, <c>symbolic_model</c>, <c>symbolic_proj</c>, <c>audio_model</c>, <c>audio_proj</c>).</summary>
/// <remarks>
/// <c>Get*Features</c> mirror <c>CLaMP3Model.get_*_features</c>: the encoder's <c>last_hidden_state</c> [B, L, H], or
/// with <c>global</c> its masked mean over L followed by the projection [B, D]. No L2 normalisation (the official
/// contrastive loss uses the raw vectors). The module carries no gradient policy: callers choose <c>no_grad</c>
/// (inference) or not (training), and <c>eval()</c>/<c>train()</c>: dropout (the encoders' <c>hidden_dropout_prob</c> /
/// <c>attention_probs_dropout_prob</c>, 0 unless configured) acts only in train mode.
/// </remarks>
public sealed class Clamp3Model : nn.Module
{
    private readonly BertModel text_model;
    private readonly Linear text_proj;
    private readonly M3PatchEncoder symbolic_model;
    private readonly Linear symbolic_proj;
    private readonly BertModel audio_model;
    private readonly Linear audio_proj;

    public Clamp3Model(Clamp3Config config) : base("Clamp3Model")
    {
        config.Validate();
        Config = config;
        text_model = new BertModel(config.Text);
        text_proj = nn.Linear(config.Text.HiddenSize, config.Clamp3HiddenSize);
        symbolic_model = new M3PatchEncoder(config.Symbolic, config.PatchSize);
        symbolic_proj = nn.Linear(config.Symbolic.HiddenSize, config.Clamp3HiddenSize);
        audio_model = new BertModel(config.Audio);
        audio_proj = nn.Linear(config.Audio.HiddenSize, config.Clamp3HiddenSize);
        RegisterComponents();
    }

    public Clamp3Config Config { get; }
    public BertModel TextModel => text_model;
    public Linear TextProjection => text_proj;
    public M3PatchEncoder SymbolicModel => symbolic_model;
    public Linear SymbolicProjection => symbolic_proj;
    public BertModel AudioModel => audio_model;
    public Linear AudioProjection => audio_proj;

    /// <param name="inputIds">[B, L] int64 XLM-R ids (padding = text pad id)</param>
    /// <param name="mask">[B, L] float, 1 for real tokens</param>
    /// <param name="global">false: last_hidden_state [B, L, H]; true: projected masked mean [B, D]</param>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor mask, bool global)
    {
        using var scope = NewDisposeScope();
        var hidden = text_model.call(inputIds, mask, null);
        return (global ? text_proj.forward(MaskedMean(hidden, mask)) : hidden).MoveToOuterDisposeScope();
    }

    /// <param name="patches">[B, S, patch_size] int64 character ids</param>
    /// <param name="mask">[B, S] float, 1 for real patches</param>
    /// <param name="global">false: last_hidden_state [B, S, H]; true: projected masked mean [B, D]</param>
    public Tensor GetSymbolicFeatures(Tensor patches, Tensor mask, bool global)
    {
        using var scope = NewDisposeScope();
        var hidden = symbolic_model.Forward(patches, mask);
        return (global ? symbolic_proj.forward(MaskedMean(hidden, mask)) : hidden).MoveToOuterDisposeScope();
    }

    /// <param name="features">[B, T, audio hidden] MERT feature rows</param>
    /// <param name="mask">[B, T] float, 1 for real rows</param>
    /// <param name="global">false: last_hidden_state [B, T, H]; true: projected masked mean [B, D]</param>
    public Tensor GetAudioFeatures(Tensor features, Tensor mask, bool global)
    {
        using var scope = NewDisposeScope();
        var hidden = audio_model.call(null, mask, features);
        return (global ? audio_proj.forward(MaskedMean(hidden, mask)) : hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Dispatches to the symbolic or audio features, as <c>CLaMP3Model.forward</c> does with <c>music_modality</c>.</summary>
    public Tensor GetMusicFeatures(Modality modality, Tensor inputs, Tensor mask, bool global) => modality switch
    {
        Modality.Symbolic => GetSymbolicFeatures(inputs, mask, global),
        Modality.Audio => GetAudioFeatures(inputs, mask, global),
        Modality.Text => GetTextFeatures(inputs, mask, global),
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };

    /// <summary>The official <c>avg_pooling</c>: <c>Σ_t h_t·m_t / Σ_t m_t</c>.</summary>
    public static Tensor MaskedMean(Tensor hidden, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to(hidden.dtype).unsqueeze(-1);
        return hidden.Times(m).sum(1).div(m.sum(1)).MoveToOuterDisposeScope();
    }
}
