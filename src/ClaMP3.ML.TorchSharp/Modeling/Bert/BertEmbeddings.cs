using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertEmbeddings</c> (over <c>inputs_embeds</c>) and <c>XLMRobertaEmbeddings</c> (over <c>input_ids</c>):
/// <c>LayerNorm((inputs_embeds + token_type_embeddings[0]) + position_embeddings[pos])</c>; the token type is always 0.</summary>
internal sealed class BertEmbeddings : nn.Module<Tensor?, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // HF state-dict names
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    private readonly long _padTokenId;
    private readonly double _dropout;

    public BertEmbeddings(BertConfig config) : base("BertEmbeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        _padTokenId = config.PadTokenId;
        _dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    /// <summary>The embeddings [B, L, H] of exactly one of <paramref name="inputIds"/> and
    /// <paramref name="inputsEmbeds"/> (HF's <c>forward(input_ids, …, inputs_embeds)</c>).</summary>
    /// <param name="inputIds">[B, L] int64: XLM-R position numbering (see <see cref="EmbedIds"/>), or null</param>
    /// <param name="inputsEmbeds">[B, L, H]: BERT position numbering 0..L−1, or null</param>
    public override Tensor forward(Tensor? inputIds, Tensor? inputsEmbeds) => (inputIds, inputsEmbeds) switch
    {
        (not null, null) => EmbedIds(inputIds),
        (null, not null) => EmbedInputs(inputsEmbeds),
        _ => throw new ArgumentException("Exactly one of input ids and input embeddings must be given."),
    };

    /// <summary>BERT with <c>inputs_embeds</c> [B, L, H]: positions 0..L−1.</summary>
    private Tensor EmbedInputs(Tensor inputsEmbeds)
    {
        using var scope = NewDisposeScope();
        long length = inputsEmbeds.shape[1];
        var positions = KeptScalarOps.Arange(length, inputsEmbeds.device);
        return Embed(inputsEmbeds, positions).MoveToOuterDisposeScope();
    }

    /// <summary>XLM-R with <c>input_ids</c> [B, L]: <c>pos = cumsum(ids != pad) · (ids != pad) + pad</c>, so the first
    /// real token gets pad+1 and padding gets pad (fairseq's numbering).</summary>
    private Tensor EmbedIds(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var notPad = inputIds.NotEqual(_padTokenId).to(ScalarType.Int64);
        var positions = notPad.cumsum(1).mul(notPad).Plus((long)_padTokenId);
        return Embed(word_embeddings.call(inputIds), positions).MoveToOuterDisposeScope();
    }

    /// <summary>The part both numberings share: <c>dropout(LayerNorm((embeds + token_type[0]) + position_embeddings[positions]))</c>
    /// (in the caller's scope).</summary>
    private Tensor Embed(Tensor embeds, Tensor positions)
    {
        var x = embeds.Plus(token_type_embeddings.weight![0]).Plus(position_embeddings.call(positions));
        x = LayerNorm.call(x);
        return training && _dropout > 0 ? nn.functional.dropout(x, _dropout, true) : x;
    }
}
