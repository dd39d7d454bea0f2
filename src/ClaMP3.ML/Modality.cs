namespace ClaMP3.ML;

/// <summary>The three input kinds of CLaMP 3: the one modality vocabulary of the library (engines, embedder,
/// featurizers, training). Before the split the ML.NET options had their own <c>Modality</c> with <c>Score</c> for
/// <see cref="Symbolic"/>; the numbers are the same, so saved pipelines read unchanged.</summary>
public enum Modality
{
    /// <summary>Text in any of XLM-R's 100 languages.</summary>
    Text,
    /// <summary>Scores: interleaved ABC or MTF as M3 patches (MIDI and MusicXML through the converter transforms).</summary>
    Symbolic,
    /// <summary>MERT feature rows (or, where a MERT model is given, audio files).</summary>
    Audio,
}
