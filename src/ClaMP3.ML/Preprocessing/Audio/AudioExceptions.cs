namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>An audio file that cannot be decoded: corrupt, truncated, empty or in an unsupported format.
/// The message names the file.</summary>
public class AudioDecodingException : IOException
{
    public AudioDecodingException(string fileName, string problem, Exception? inner = null)
        : base($"{fileName}: {problem}", inner)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file (or the name given for a stream) that failed.</summary>
    public string FileName { get; }

    /// <summary>What went wrong, without the file name.</summary>
    public string Problem { get; }
}

/// <summary>The audio is too short to give a single MERT window: the official extraction
/// (<c>extract_mert.py</c>) fails on it with <c>torch.cat(): expected a non-empty list of Tensors</c> and writes nothing.</summary>
public sealed class AudioTooShortException : Exception
{
    public AudioTooShortException(string? fileName, int samples, int minSamples)
        : base($"{fileName ?? "audio"}: too short for MERT: {samples} samples at 24 kHz ({samples / 24000.0:0.###} s); " +
               $"at least {minSamples} samples ({minSamples / 24000.0:0.###} s) are needed for one window.")
    {
        FileName = fileName;
        Samples = samples;
        MinSamples = minSamples;
    }

    public string? FileName { get; }
    public int Samples { get; }
    public int MinSamples { get; }
}
