namespace ClaMP3.ML.Modeling; // kept from before the package split, so user code compiles unchanged

/// <summary>The three input kinds of CLaMP 3.</summary>
public enum Modality
{
    Text,
    /// <summary>ABC or MTF scores, as M3 patches.</summary>
    Symbolic,
    /// <summary>MERT feature rows.</summary>
    Audio,
}
