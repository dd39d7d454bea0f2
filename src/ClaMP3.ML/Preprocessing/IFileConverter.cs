namespace ClaMP3.ML.Preprocessing;

/// <summary>Options shared by the file converters (the official scripts' flags).</summary>
/// <param name="M3Compatible">MIDI → MTF as <c>batch_midi2mtf.py --m3_compatible</c>: drop text-like meta messages.</param>
/// <param name="AcceptPlainAbc">ABC → interleaved: tunes the official script rejects (no <c>V:1</c> line, named voices,
/// voices in several blocks) are rewritten by our plain-ABC addition and converted; tunes it accepts are unchanged.
/// On by default; false gives the official script's outcomes exactly.</param>
public sealed record ConverterOptions(bool M3Compatible = false, bool AcceptPlainAbc = true);

/// <summary>What one conversion produced: the output's extension (with the dot, e.g. <c>.mtf</c>) and its bytes,
/// plus any warnings the official script would have printed.</summary>
public sealed record ConvertedFile(string Extension, byte[] Content, IReadOnlyList<string> Warnings);

/// <summary>A file converter mirroring one official preprocessing script (midi2mtf, mtf2midi, xml2abc, abc2interleaved…).
/// Implementations are stateless and thread-safe; the batch runner and the CLI discover them by reflection.</summary>
public interface IFileConverter
{
    /// <summary>The CLI name, e.g. <c>midi2mtf</c>.</summary>
    string Name { get; }
    string Description { get; }
    /// <summary>Input extensions with the dot, lower case (matched case-insensitively).</summary>
    IReadOnlyList<string> InputExtensions { get; }
    /// <summary>Converts one file. Throws <see cref="ConversionRejectedException"/> when the official script rejects
    /// (or would crash on) the input, with the reason.</summary>
    ConvertedFile Convert(string inputPath, ConverterOptions options);
}

/// <summary>The input cannot be converted; the message says why (the batch runner adds the file's path).</summary>
public sealed class ConversionRejectedException : Exception
{
    public ConversionRejectedException(string message, Exception? inner = null) : base(message, inner) { }
}
