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
public sealed class Clamp3Model : nn.Module<Modality, Tensor, Tensor, bool, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly BertModel text_model;
    private readonly Linear text_proj;
    private readonly M3PatchEncoder symbolic_model;
    private readonly Linear symbolic_proj;
    private readonly BertModel audio_model;
    private readonly Linear audio_proj;
#pragma warning restore IDE1006

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

    /// <summary>The features of one modality (what <c>get_text_features</c> / <c>get_symbolic_features</c> /
    /// <c>get_audio_features</c> return). <see cref="GetTextFeatures"/>, <see cref="GetSymbolicFeatures"/>,
    /// <see cref="GetAudioFeatures"/> and <see cref="GetMusicFeatures"/> are <c>call</c> (this, with hooks) under the
    /// official names.</summary>
    /// <param name="modality">which encoder and projection: text, symbolic or audio</param>
    /// <param name="inputs">text: [B, L] int64 XLM-R ids; symbolic: [B, S, patch_size] int64 character ids; audio:
    /// [B, T, audio hidden] MERT feature rows</param>
    /// <param name="mask">[B, L] float, 1 for real tokens / patches / rows</param>
    /// <param name="global">false: last_hidden_state [B, L, H]; true: projected masked mean [B, D]</param>
    public override Tensor forward(Modality modality, Tensor inputs, Tensor mask, bool global)
    {
        using var scope = NewDisposeScope();
        var (hidden, projection) = modality switch
        {
            Modality.Text => (text_model.call(inputs, mask, null), text_proj),
            Modality.Symbolic => (symbolic_model.call(inputs, mask), symbolic_proj),
            Modality.Audio => (audio_model.call(null, mask, inputs), audio_proj),
            _ => throw new ArgumentOutOfRangeException(nameof(modality)),
        };
        return (global ? projection.call(MaskedMean(hidden, mask)) : hidden).MoveToOuterDisposeScope();
    }

    /// <param name="inputIds">[B, L] int64 XLM-R ids (padding = text pad id)</param>
    /// <param name="mask">[B, L] float, 1 for real tokens</param>
    /// <param name="global">false: last_hidden_state [B, L, H]; true: projected masked mean [B, D]</param>
    public Tensor GetTextFeatures(Tensor inputIds, Tensor mask, bool global) => call(Modality.Text, inputIds, mask, global);

    /// <param name="patches">[B, S, patch_size] int64 character ids</param>
    /// <param name="mask">[B, S] float, 1 for real patches</param>
    /// <param name="global">false: last_hidden_state [B, S, H]; true: projected masked mean [B, D]</param>
    public Tensor GetSymbolicFeatures(Tensor patches, Tensor mask, bool global) => call(Modality.Symbolic, patches, mask, global);

    /// <param name="features">[B, T, audio hidden] MERT feature rows</param>
    /// <param name="mask">[B, T] float, 1 for real rows</param>
    /// <param name="global">false: last_hidden_state [B, T, H]; true: projected masked mean [B, D]</param>
    public Tensor GetAudioFeatures(Tensor features, Tensor mask, bool global) => call(Modality.Audio, features, mask, global);

    /// <summary>Dispatches to the symbolic or audio features, as <c>CLaMP3Model.forward</c> does with <c>music_modality</c>
    /// (and to the text features for <see cref="Modality.Text"/>).</summary>
    public Tensor GetMusicFeatures(Modality modality, Tensor inputs, Tensor mask, bool global) => call(modality, inputs, mask, global);

    /// <summary>The official <c>avg_pooling</c>: <c>Σ_t h_t·m_t / Σ_t m_t</c>.</summary>
    public static Tensor MaskedMean(Tensor hidden, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to(hidden.dtype).unsqueeze(-1);
        return hidden.Times(m).sum(1).div(m.sum(1)).MoveToOuterDisposeScope();
    }
}
