using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Training;

/// <summary>
/// One text–music training pair. <paramref name="Text"/>: the text used in evaluation (and in training unless text dropout
/// draws from <paramref name="Item"/>). <paramref name="Scores"/>: ABC or MTF strings of the same piece (training picks one
/// at random, evaluation the first, as the official <c>random.choice(filepaths)</c> / <c>filepaths[0]</c>).
/// <paramref name="AudioFeatures"/>: MERT feature matrices (rows × 768) likewise.
/// </summary>
public sealed record TrainingPair(string Id, string Text, IReadOnlyList<string>? Scores = null, IReadOnlyList<FeatureMatrix>? AudioFeatures = null, M4RagItem? Item = null)
{
    /// <summary>Why this pair cannot be trained on for <paramref name="modality"/>, or null.</summary>
    public string? Problem(Modality modality)
    {
        bool hasText = !string.IsNullOrWhiteSpace(Text) || (Item is not null && TextDropout.HasAnyCandidate(Item));
        if (!hasText) return "empty text";
        return modality switch
        {
            Modality.Symbolic when Scores is null || Scores.Count == 0 || Scores.All(string.IsNullOrWhiteSpace) => "no score",
            Modality.Audio when AudioFeatures is null || AudioFeatures.Count == 0 => "no MERT features",
            _ => null,
        };
    }
}
