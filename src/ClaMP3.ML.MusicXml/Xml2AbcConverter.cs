using System.Text;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.MusicXml;

/// <summary>CLaMP 3's <c>batch_xml2abc.py</c> for one file: <c>xml2abc.py -d 8 -x</c>, output <c>&lt;stem&gt;.abc</c>
/// (UTF-8, exactly the script's stdout). A file the script writes nothing for is rejected with its reason.</summary>
public sealed class Xml2AbcConverter : IFileConverter
{
    public string Name => "xml2abc";
    public string Description => "MusicXML (.xml, .musicxml, compressed .mxl) -> standard ABC, as batch_xml2abc.py (xml2abc.py -d 8 -x)";
    public IReadOnlyList<string> InputExtensions { get; } = new[] { ".xml", ".musicxml", ".mxl" };

    public ConvertedFile Convert(string inputPath, ConverterOptions options)
    {
        var result = Xml2Abc.ConvertFile(inputPath, Xml2AbcOptions.ClaMP3Preprocessing);
        // The batch script keeps stdout only; stderr lines (e.g. "measure 1 in part 1 longer than metre") are warnings.
        var warnings = result.Messages.Where(m => m.StartsWith("-- ", StringComparison.Ordinal)).ToList();
        return new ConvertedFile(".abc", new UTF8Encoding(false).GetBytes(result.Abc), warnings);
    }
}
