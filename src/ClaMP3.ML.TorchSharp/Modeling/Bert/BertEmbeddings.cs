using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Bert;

/// <summary>HF <c>BertEmbeddings</c> (and, with <see cref="ForwardIds"/>, <c>XLMRobertaEmbeddings</c>):
/// <c>LayerNorm((inputs_embeds + token_type_embeddings[0]) + position_embeddings[pos])</c>; the token type is always 0.</summary>
public sealed class BertEmbeddings : nn.Module
{
    // Field names are the state-dict names; RegisterComponents picks them up by reflection.
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly long padTokenId;
    private readonly double dropout;

    public BertEmbeddings(BertConfig config) : base("BertEmbeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(new long[] { config.HiddenSize }, config.LayerNormEps);
        padTokenId = config.PadTokenId;
        dropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    public Embedding WordEmbeddings => word_embeddings;

    /// <summary>BERT with <c>inputs_embeds</c> [B, L, H]: positions 0..L−1.</summary>
    public Tensor ForwardEmbeds(Tensor inputsEmbeds)
    {
        using var scope = NewDisposeScope();
        long length = inputsEmbeds.shape[1];
        var positions = KeptScalarOps.Arange(length, inputsEmbeds.device);
        var x = inputsEmbeds.Plus(token_type_embeddings.weight![0]);
        x = x.Plus(position_embeddings.forward(positions));
        return Dropout(LayerNorm.forward(x)).MoveToOuterDisposeScope();
    }

    private Tensor Dropout(Tensor x) => training && dropout > 0 ? nn.functional.dropout(x, dropout, true) : x;

    /// <summary>XLM-R with <c>input_ids</c> [B, L]: <c>pos = cumsum(ids != pad) · (ids != pad) + pad</c>, so the first
    /// real token gets pad+1 and padding gets pad (fairseq's numbering).</summary>
    public Tensor ForwardIds(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var notPad = inputIds.NotEqual(padTokenId).to(ScalarType.Int64);
        var positions = notPad.cumsum(1).mul(notPad).Plus((long)padTokenId);
        var x = word_embeddings.forward(inputIds).Plus(token_type_embeddings.weight![0]);
        x = x.Plus(position_embeddings.forward(positions));
        return Dropout(LayerNorm.forward(x)).MoveToOuterDisposeScope();
    }
}
