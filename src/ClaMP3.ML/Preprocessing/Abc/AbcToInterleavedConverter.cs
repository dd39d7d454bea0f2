using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// <c>abc2interleaved</c>: <c>preprocessing/abc/batch_interleaved_abc.py</c> for one file. The output keeps the
/// input's relative path and name (the official script writes <c>output_dir/&lt;relative path&gt;</c>), UTF-8 with
/// <c>\n</c> line ends.
/// </summary>
public sealed class AbcToInterleavedConverter : IFileConverter, IKnowsOutputName
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Name => "abc2interleaved";
    public string Description => "Standard ABC → interleaved ABC (batch_interleaved_abc.py with abctoolkit 0.0.4).";
    public IReadOnlyList<string> InputExtensions { get; } = [".abc"];
    /// <summary>The official script keeps the file name (resume finds it without converting again).</summary>
    public string OutputFileName(string inputFileName) => BatchConverter.PythonStem(inputFileName) + Path.GetExtension(inputFileName);

    public ConvertedFile Convert(string inputPath, ConverterOptions options)
    {
        var bytes = File.ReadAllBytes(inputPath);
        if (bytes.Length == 0)
            throw new ConversionRejectedException("empty file (the official script does not list files of size 0)");
        var result = AbcInterleaver.Convert(Decode(bytes), options.AcceptPlainAbc);
        return new ConvertedFile(Path.GetExtension(inputPath), StrictUtf8.GetBytes(result.Text), result.Warnings);
    }

    /// <summary>Strict UTF-8 like Python's <c>open(…, encoding='utf-8')</c>: a BOM is kept as U+FEFF (GetString does
    /// not strip it), invalid bytes reject the file.</summary>
    internal static string Decode(byte[] bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException e)
        {
            var at = e.Index >= 0 ? $" in position {e.Index}" : "";
            var bad = e.BytesUnknown is { Length: > 0 } b ? $" 0x{b[0]:x2}" : "";
            throw new ConversionRejectedException($"'utf-8' codec can't decode byte{bad}{at}: invalid UTF-8", e);
        }
    }
}
