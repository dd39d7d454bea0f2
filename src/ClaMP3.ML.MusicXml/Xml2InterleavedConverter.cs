using System.Text;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.ML.MusicXml;

/// <summary>The official two-step chain in memory: <c>batch_xml2abc.py</c> (xml2abc.py -d 8 -x) then
/// <c>batch_interleaved_abc.py</c>. The output is named like both steps name it: <c>&lt;stem&gt;.abc</c>.
/// Rejected when either step writes nothing; warnings are xml2abc's then the interleaver's.</summary>
public sealed class Xml2InterleavedConverter : IFileConverter, IKnowsOutputName
{
    private static readonly UTF8Encoding Utf8NoBom = new(false);

    public string Name => "xml2interleaved";
    public string Description => "MusicXML (.xml, .musicxml, .mxl) -> interleaved ABC: batch_xml2abc.py then batch_interleaved_abc.py, in memory";
    public IReadOnlyList<string> InputExtensions { get; } = new[] { ".xml", ".musicxml", ".mxl" };
    public string OutputFileName(string inputFileName) => BatchConverter.PythonStem(inputFileName) + ".abc";

    public ConvertedFile Convert(string inputPath, ConverterOptions options)
    {
        var standard = Xml2Abc.ConvertFile(inputPath, Xml2AbcOptions.ClaMP3Preprocessing);
        InterleaveResult interleaved;
        try { interleaved = AbcInterleaver.Convert(standard.Abc); }
        catch (ConversionRejectedException e)
        {
            throw new ConversionRejectedException("abc2interleaved: " + e.Message, e);
        }
        var warnings = standard.Messages.Where(m => m.StartsWith("-- ", StringComparison.Ordinal))
            .Concat(interleaved.Warnings).ToList();
        return new ConvertedFile(".abc", Utf8NoBom.GetBytes(interleaved.Text), warnings);
    }
}
