using System.Text;

namespace ClaMP3.ML.Tokenization;

/// <summary>
/// Reads input files the way CLaMP 3's scripts do: <c>open(path, "r", encoding="utf-8").read()</c>.
/// </summary>
public static class SourceText
{
    // Strict: invalid UTF-8 is an error (Python raises UnicodeDecodeError), and GetString keeps a BOM as U+FEFF
    // like Python's "utf-8" codec does (only "utf-8-sig" strips it).
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's text decoded as strict UTF-8 (a BOM is kept as U+FEFF) with universal newlines.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8 (the message names the file and byte offset).</exception>
    public static string ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"input file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path} is not valid UTF-8 (byte offset {e.Index}).", e);
        }
        return NormalizeNewlines(text);
    }

    /// <summary>Python's universal newlines: <c>\r\n</c> and a lone <c>\r</c> become <c>\n</c>; nothing else changes.</summary>
    public static string NormalizeNewlines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.IndexOf('\r') < 0) return text;
        return text.Replace("\r\n", "\n").Replace('\r', '\n');
    }
}
