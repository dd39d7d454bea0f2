using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>
/// Builds padded batches as the official <c>TextMusicDataset.__getitem__</c> + <c>collate_batch</c>: text
/// <c>tokenizer(text)</c> (<c>&lt;s&gt;…&lt;/s&gt;</c>) cut to MaxTextLength; scores patchilized with BOS/EOS and cut to
/// PatchLength; MERT rows framed by a zero row each side and cut to MaxAudioLength. Training mode: text dropout (for JSONL
/// items), a random score/feature file, <c>remove_instrument_info</c> with p 0.9, and random head/tail/middle truncation;
/// evaluation mode: <c>analysis</c>/the pair's text, the first file, head truncation.
/// </summary>
public sealed class ContrastiveBatchBuilder
{
    private static readonly SequenceTruncation[] Choices = { SequenceTruncation.Head, SequenceTruncation.Tail, SequenceTruncation.Middle };
    private readonly Clamp3Config _config;
    private readonly XlmRobertaTokenizer _tokenizer;
    private readonly M3Patchilizer _patchilizer;

    public ContrastiveBatchBuilder(Clamp3Config config, XlmRobertaTokenizer tokenizer, Modality musicModality)
    {
        this._config = config; this._tokenizer = tokenizer;
        MusicModality = musicModality;
        _patchilizer = new M3Patchilizer(config.PatchSize);
    }

    public Modality MusicModality { get; }
    public bool TextDropoutEnabled { get; init; } = true;
    public bool RandomTruncation { get; init; } = true;
    /// <summary>Probability of <c>remove_instrument_info</c> on a training score (official 0.9).</summary>
    public double RemoveInstrumentInfoProbability { get; init; } = 0.9;

    public ContrastiveBatch Build(IReadOnlyList<TrainingPair> pairs, bool training, Random random)
    {
        if (pairs.Count == 0) throw new ArgumentException("A batch needs at least one pair.", nameof(pairs));
        int b = pairs.Count, lt = _config.MaxTextLength;
        var textIds = new long[b * lt];
        Array.Fill(textIds, XlmRobertaTokenizer.PadId);
        var textMask = new float[b * lt];
        int musicLength = MusicModality == Modality.Symbolic ? _config.PatchLength : _config.MaxAudioLength;
        int width = MusicModality == Modality.Symbolic ? _config.PatchSize : _config.AudioFeatureDim;
        var musicMask = new float[b * musicLength];
        long[]? patches = MusicModality == Modality.Symbolic ? new long[(long)b * musicLength * width] : null;
        float[]? audio = MusicModality == Modality.Audio ? new float[(long)b * musicLength * width] : null;
        for (int i = 0; i < b; i++)
        {
            var pair = pairs[i];
            try
            {
                string text = training && TextDropoutEnabled && pair.Item is not null ? TextDropout.Apply(pair.Item, random) : pair.Text;
                var ids = _tokenizer.Encode(text, addSpecialTokens: true);
                ids = SequenceTruncations.Apply(ids, lt, Truncation(training, random), random);
                for (int j = 0; j < ids.Length; j++) { textIds[i * lt + j] = ids[j]; textMask[i * lt + j] = 1; }

                if (MusicModality == Modality.Symbolic)
                {
                    var scores = pair.Scores!;
                    var score = SourceText.NormalizeNewlines(training ? scores[random.Next(scores.Count)] : scores[0]);
                    if (training && random.NextDouble() < RemoveInstrumentInfoProbability) score = M3Patchilizer.RemoveInstrumentInfo(score);
                    var encoded = _patchilizer.Encode(score, addSpecialPatches: true, musicLength, Truncation(training, random), random);
                    for (int p = 0; p < encoded.Length; p++)
                    {
                        musicMask[i * musicLength + p] = 1;
                        for (int c = 0; c < width; c++) patches![((long)i * musicLength + p) * width + c] = encoded[p][c];
                    }
                }
                else
                {
                    var features = pair.AudioFeatures!;
                    var m = training ? features[random.Next(features.Count)] : features[0];
                    if (m.Columns != width) throw new InvalidDataException($"MERT features have {m.Columns} columns, the model expects {width}.");
                    var framed = Clamp3Inputs.FrameAudioRows(m.Values, m.Rows, width);
                    var rowIndex = SequenceTruncations.Apply(Enumerable.Range(0, m.Rows + 2).ToArray(), musicLength, Truncation(training, random), random);
                    for (int r = 0; r < rowIndex.Length; r++)
                    {
                        musicMask[i * musicLength + r] = 1;
                        Array.Copy(framed, (long)rowIndex[r] * width, audio!, ((long)i * musicLength + r) * width, width);
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"Training pair '{pair.Id}': {e.Message}", e);
            }
        }
        using var scope = NewDisposeScope();
        return new ContrastiveBatch(MusicModality, tensor(textIds, new long[] { b, lt }), tensor(textMask, new long[] { b, lt }),
            patches is not null ? tensor(patches, new long[] { b, musicLength, width }) : tensor(audio!, new long[] { b, musicLength, width }),
            tensor(musicMask, new long[] { b, musicLength })).DetachFromDisposeScope();
    }

    private static SequenceTruncation Truncation(bool training, Random random) =>
        training ? Choices[random.Next(Choices.Length)] : SequenceTruncation.Head;
}
