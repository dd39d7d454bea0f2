using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertModel</c> / <c>XLMRobertaModel</c> (they differ only in how embeddings number positions):
/// <c>embeddings</c>, <c>encoder</c>, <c>pooler</c>. Returns <c>last_hidden_state</c>.</summary>
public sealed class BertModel : nn.Module<Tensor?, Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;
#pragma warning restore IDE1006

    public BertModel(BertConfig config) : base("BertModel")
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <summary><c>last_hidden_state</c> [B, L, H] of exactly one of <paramref name="inputIds"/> and
    /// <paramref name="inputsEmbeds"/>, in HF's argument order (<c>input_ids, attention_mask, …, inputs_embeds</c>).</summary>
    /// <param name="inputIds">XLM-R: [B, L] int64 token ids, positions numbered from pad_token_id + 1; or null</param>
    /// <param name="attentionMask">[B, L] float (1 real, 0 padding)</param>
    /// <param name="inputsEmbeds">BERT: [B, L, H] input embeddings, positions numbered 0..L−1; or null</param>
    public override Tensor forward(Tensor? inputIds, Tensor attentionMask, Tensor? inputsEmbeds)
    {
        using var scope = NewDisposeScope();
        var x = embeddings.call(inputIds, inputsEmbeds);
        return encoder.call(x, ExtendedMask(attentionMask, x.dtype)).MoveToOuterDisposeScope();
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
