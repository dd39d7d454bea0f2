using System.Text;
using Microsoft.ML.Tokenizers;

namespace ClaMP3.ML.Tokenization;

/// <summary>
/// The text tokenizer of CLaMP 3's text encoder: what <c>XLMRobertaTokenizerFast</c> ("FacebookAI/xlm-roberta-base")
/// returns as <c>tokenizer(text)["input_ids"]</c>, computed from XLM-R's sentencepiece model
/// (<c>sentencepiece.bpe.model</c>, a unigram model despite its name).
/// </summary>
/// <remarks>
/// <para>Ids use the fairseq layout: <c>&lt;s&gt;</c>=0, <c>&lt;pad&gt;</c>=1, <c>&lt;/s&gt;</c>=2, <c>&lt;unk&gt;</c>=3, sentencepiece
/// piece <c>p ≥ 3</c> → <c>p + 1</c>, sentencepiece <c>&lt;unk&gt;</c> → 3, <c>&lt;mask&gt;</c> = number of pieces + 1.</para>
/// <para>Steps: the raw text is cut at every literal special-token string (<c>&lt;s&gt; &lt;pad&gt; &lt;/s&gt; &lt;unk&gt; &lt;mask&gt;</c>,
/// exact and case-sensitive), each occurrence becomes its id; every other segment is normalised with the model's own
/// charsmap (<see cref="SentencePieceCharsmapNormalizer"/>), segmented by Microsoft.ML.Tokenizers' unigram Viterbi search,
/// and runs of consecutive unknown pieces are fused into one <c>&lt;unk&gt;</c> as sentencepiece and HF do.
/// Empty or whitespace-only segments give no ids.</para>
/// <para>Thread-safety: an instance is immutable after <see cref="Load"/>; <see cref="Encode"/> may be called from
/// any number of threads at once.</para>
/// <para>Why not the library alone: Microsoft.ML.Tokenizers 2.0.1 keeps characters that the charsmap deletes (C0 controls)
/// and emits one <c>&lt;unk&gt;</c> per unknown character; both are corrected here, the library's Viterbi search is used as is.</para>
/// <para>Known limits: only unigram models are accepted (XLM-R's is one). Verified against sentencepiece 0.1.97 ids;
/// the HF fast tokenizer is assumed equal (see shared/fixtures/README.md, section <i>tokenizer</i>): whitespace that
/// Unicode calls White_Space but the charsmap does not turn into a space (U+0085, U+1680, U+2028, U+2029) may split
/// differently there.</para>
/// </remarks>
public sealed class XlmRobertaTokenizer
{
    public const int BosId = 0;
    public const int PadId = 1;
    public const int EosId = 2;
    public const int UnkId = 3;

    public const string BosToken = "<s>";
    public const string PadToken = "<pad>";
    public const string EosToken = "</s>";
    public const string UnkToken = "<unk>";
    public const string MaskToken = "<mask>";

    /// <summary>The separator CLaMP 3 joins text lines with (<c>tokenizer.sep_token</c>).</summary>
    public const string SepToken = EosToken;

    private const int SpmUnkId = 0, SpmBosId = 1, SpmEosId = 2;

    private readonly SentencePieceTokenizer _model;
    private readonly SentencePieceCharsmapNormalizer _normalizer;
    private readonly (string Text, int Id)[] _specialTokens;

    private XlmRobertaTokenizer(SentencePieceTokenizer model, SentencePieceCharsmapNormalizer normalizer, int pieceCount)
    {
        _model = model;
        _normalizer = normalizer;
        SentencePieceCount = pieceCount;
        _specialTokens = new[] { (BosToken, BosId), (PadToken, PadId), (EosToken, EosId), (UnkToken, UnkId), (MaskToken, MaskId) };
    }

    /// <summary>Number of pieces in the sentencepiece model (250 000 for XLM-R).</summary>
    public int SentencePieceCount { get; }

    /// <summary>Size of the id space: pieces + 2 (250 002 for XLM-R; the text model's <c>vocab_size</c>).</summary>
    public int VocabularySize => SentencePieceCount + 2;

    /// <summary>Id of <c>&lt;mask&gt;</c>: pieces + 1.</summary>
    public int MaskId => SentencePieceCount + 1;

    /// <summary>Loads a sentencepiece model file (XLM-R's <c>sentencepiece.bpe.model</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a sentencepiece model, not a unigram model, or its first
    /// three pieces are not <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> (the layout the fairseq ids assume).</exception>
    public static XlmRobertaTokenizer Load(string spmModelPath)
    {
        ArgumentNullException.ThrowIfNull(spmModelPath);
        if (!File.Exists(spmModelPath))
            throw new FileNotFoundException($"sentencepiece model not found: {spmModelPath}", spmModelPath);
        return FromBytes(File.ReadAllBytes(spmModelPath), spmModelPath);
    }

    /// <summary>Loads a sentencepiece model from its bytes (e.g. carried inside a saved ML.NET model);
    /// <paramref name="nameForErrors"/> names the source in error messages.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Load"/>.</exception>
    public static XlmRobertaTokenizer FromBytes(byte[] bytes, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string spmModelPath = nameForErrors;
        SentencePieceModelInfo info;
        try
        {
            info = SentencePieceModelInfo.Parse(bytes);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{spmModelPath} is not a sentencepiece model: {e.Message}", e);
        }
        if (info.ModelType != SentencePieceModelInfo.ModelUnigram)
            throw new InvalidDataException($"{spmModelPath}: sentencepiece model type {info.ModelType} is not supported; XLM-R uses a unigram model (type 1).");
        if (info.Pieces.Count < 4
            || info.Pieces[SpmUnkId].Type != SentencePieceModelInfo.PieceUnknown
            || info.Pieces[SpmBosId].Type != SentencePieceModelInfo.PieceControl
            || info.Pieces[SpmEosId].Type != SentencePieceModelInfo.PieceControl)
            throw new InvalidDataException($"{spmModelPath}: expected the pieces <unk>, <s>, </s> at ids 0, 1, 2 (XLM-R layout), found "
                + string.Join(", ", info.Pieces.Take(3).Select(p => $"'{p.Piece}' (type {p.Type})")));

        SentencePieceCharsmapNormalizer normalizer;
        SentencePieceTokenizer model;
        try
        {
            normalizer = new SentencePieceCharsmapNormalizer(info);
            using var stream = new MemoryStream(bytes, writable: false);
            model = SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{spmModelPath} could not be loaded as a sentencepiece model: {e.Message}", e);
        }
        return new XlmRobertaTokenizer(model, normalizer, info.Pieces.Count);
    }

    /// <summary>Token ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/> wrapped as
    /// <c>&lt;s&gt; … &lt;/s&gt;</c> (= HF <c>tokenizer(text)["input_ids"]</c>, no truncation).</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens) ids.Add(BosId);

        int segmentStart = 0;
        int i = text.IndexOf('<');
        while (i >= 0)
        {
            int special = MatchSpecialToken(text, i);
            if (special < 0)
            {
                i = text.IndexOf('<', i + 1);
                continue;
            }
            EncodeSegment(text.Substring(segmentStart, i - segmentStart), ids);
            ids.Add(_specialTokens[special].Id);
            segmentStart = i + _specialTokens[special].Text.Length;
            i = segmentStart < text.Length ? text.IndexOf('<', segmentStart) : -1;
        }
        EncodeSegment(segmentStart == 0 ? text : text.Substring(segmentStart), ids);

        if (addSpecialTokens) ids.Add(EosId);
        return ids.ToArray();
    }

    private int MatchSpecialToken(string text, int index)
    {
        for (int k = 0; k < _specialTokens.Length; k++)
            if (text.AsSpan(index).StartsWith(_specialTokens[k].Text, StringComparison.Ordinal))
                return k;
        return -1;
    }

    private void EncodeSegment(string segment, List<int> ids)
    {
        if (segment.Length == 0) return;
        string normalized = _normalizer.Normalize(segment);
        if (normalized.Length == 0) return;
        var pieces = _model.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: false);
        bool previousUnknown = false;
        foreach (int piece in pieces)
        {
            if (piece == SpmUnkId)
            {
                // sentencepiece fuses a run of unknown characters into one <unk>; the library emits one per character.
                if (!previousUnknown) ids.Add(UnkId);
                previousUnknown = true;
                continue;
            }
            previousUnknown = false;
            ids.Add(piece switch { SpmBosId => BosId, SpmEosId => EosId, _ => piece + 1 });
        }
    }

    /// <summary>
    /// The string CLaMP 3's <c>extract_feature</c> gives the tokenizer for a <c>.txt</c> file: the text split at
    /// <c>\n</c>, duplicate lines removed (exact comparison, first-occurrence order), empty lines dropped
    /// (whitespace-only lines stay), the rest joined with <c>&lt;/s&gt;</c>.
    /// </summary>
    /// <remarks>
    /// <c>\r\n</c> and a lone <c>\r</c> are first turned into <c>\n</c>, as Python's universal-newline file reading does
    /// (a no-op for text read with <see cref="SourceText.ReadFile"/>).
    /// Deviation: the official code de-duplicates with <c>list(set(lines))</c>, whose order changes from process to
    /// process; first-occurrence order is the reproducible choice the fixtures use.
    /// </remarks>
    public static string BuildTextInput(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<string>();
        foreach (var line in SourceText.NormalizeNewlines(text).Split('\n'))
        {
            // De-duplication happens before empty lines are dropped (the order does not change the result).
            if (seen.Add(line) && line.Length > 0) kept.Add(line);
        }
        return string.Join(SepToken, kept);
    }
}
