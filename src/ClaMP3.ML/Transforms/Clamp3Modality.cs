namespace ClaMP3.ML.Transforms;

/// <summary>The pre-split name of the featurizer modality, kept so that <c>Modality = Clamp3Modality.Score</c> still
/// compiles (with a warning): the values are <see cref="ClaMP3.ML.Modality"/> members. Use <see cref="ClaMP3.ML.Modality"/>.</summary>
[Obsolete("Use ClaMP3.ML.Modality (Score is Modality.Symbolic).")]
public static class Clamp3Modality
{
    public const Modality Text = Modality.Text;
    public const Modality Score = Modality.Symbolic;
    public const Modality Audio = Modality.Audio;
}
