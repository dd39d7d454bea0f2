using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertModel</c> / <c>XLMRobertaModel</c> (they differ only in how embeddings number positions):
/// <c>embeddings</c>, <c>encoder</c>, <c>pooler</c>. Returns <c>last_hidden_state</c>.</summary>
public sealed class BertModel : nn.Module
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    public BertModel(BertConfig config) : base("BertModel")
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }
    public BertEmbeddings Embeddings => embeddings;
    public BertPooler Pooler => pooler;

    /// <summary>BERT over <c>inputs_embeds</c> [B, L, H] with a float mask [B, L] (1 real, 0 padding).</summary>
    public Tensor ForwardEmbeds(Tensor inputsEmbeds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var x = embeddings.ForwardEmbeds(inputsEmbeds);
        return encoder.Forward(x, ExtendedMask(attentionMask, x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>XLM-R over <c>input_ids</c> [B, L] (int64) with a mask [B, L].</summary>
    public Tensor ForwardIds(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var x = embeddings.ForwardIds(inputIds);
        return encoder.Forward(x, ExtendedMask(attentionMask, x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>HF's <c>get_extended_attention_mask</c>: <c>(1 − m)[:, None, None, :] · finfo(dtype).min</c>.</summary>
    public static Tensor ExtendedMask(Tensor mask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        double min = dtype switch
        {
            ScalarType.Float32 => float.MinValue,
            ScalarType.BFloat16 => -3.3895313892515355e38,
            ScalarType.Float16 => -65504.0,
            ScalarType.Float64 => double.MinValue,
            _ => throw new ArgumentException($"Unsupported activation dtype {dtype}."),
        };
        var m = mask.to(dtype).unsqueeze(1).unsqueeze(1);
        return m.neg().Plus(1.0).Times(min).MoveToOuterDisposeScope();
    }
}
