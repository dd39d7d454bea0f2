using System.IO.Compression;
using System.Text;
using System.Xml;
using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.MusicXml;

/// <summary>The ABC text xml2abc wrote to stdout, and what it wrote to stderr.</summary>
public sealed record Xml2AbcResult(string Abc, IReadOnlyList<string> Messages);

/// <summary>MusicXML → ABC, a C# port of xml2abc.py version 143 (W.G. Vree, LGPL). With
/// <see cref="Xml2AbcOptions.ClaMP3Preprocessing"/> the result is byte-identical to what CLaMP 3's
/// <c>batch_xml2abc.py</c> saves (stdout of <c>xml2abc.py -d 8 -x</c>, including the final empty line).
/// Where the script writes nothing (an exception, or a score without notes) these methods throw
/// <see cref="ConversionRejectedException"/> with the script's reason.</summary>
public static class Xml2Abc
{
    static Xml2Abc() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance); // XML in legacy code pages

    /// <summary>Converts MusicXML text (its encoding declaration is ignored).</summary>
    public static string Convert(string xmlText, Xml2AbcOptions? options = null) =>
        Run(() => XmlElementNode.Parse(new StringReader(xmlText), null), "stdin", "stdin.xml", options).Abc;

    /// <summary>Converts an uncompressed MusicXML stream (bytes; the XML declaration gives the encoding).</summary>
    public static string Convert(Stream xml, Xml2AbcOptions? options = null) =>
        Run(() => XmlElementNode.Parse(null, xml), "stdin", "stdin.xml", options).Abc;

    /// <summary>Converts a .xml, .musicxml or compressed .mxl file, returning the ABC and the script's messages.</summary>
    public static Xml2AbcResult ConvertFile(string path, Xml2AbcOptions? options = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".xml" or ".mxl" or ".musicxml"))
            throw new ConversionRejectedException($"skipped input file {path}, it should have extension .xml or .mxl");
        if (Directory.Exists(path))
            throw new ConversionRejectedException($"skipped directory {path}. Only files are accepted");
        var fnm = path[..^Path.GetExtension(path).Length];
        if (ext == ".mxl")
        {
            ZipArchive zip;
            try { zip = ZipFile.OpenRead(path); }
            catch (InvalidDataException e) { throw new ConversionRejectedException($"<class 'zipfile.BadZipFile'>: {e.Message}", e); }
            using (zip)
            {
                var entry = FirstScoreEntry(zip);
                long length = new FileInfo(path).Length;
                return Run(() =>
                {
                    if (entry == null) throw new PythonStyleException("NameError", "name 'fobj' is not defined");
                    using var s = OpenScore(entry, length, path);
                    return XmlElementNode.Parse(null, s);
                }, fnm, path, options);
            }
        }
        return Run(() =>
        {
            using var s = File.OpenRead(path);
            return XmlElementNode.Parse(null, s);
        }, fnm, path, options);
    }

    /// <summary>Converts a compressed MusicXML (.mxl) stream.</summary>
    public static Xml2AbcResult ConvertMxl(Stream mxl, Xml2AbcOptions? options = null)
    {
        using var zip = new ZipArchive(mxl, ZipArchiveMode.Read, leaveOpen: true);
        var entry = FirstScoreEntry(zip);
        long length = mxl.CanSeek ? mxl.Length : long.MaxValue;
        return Run(() =>
        {
            if (entry == null) throw new PythonStyleException("NameError", "name 'fobj' is not defined");
            using var s = OpenScore(entry, length, "stdin.mxl");
            return XmlElementNode.Parse(null, s);
        }, "stdin", "stdin.mxl", options);
    }

    /// <summary>Scores far beyond any real one, and members inflating beyond their declared size, are refused before
    /// they are parsed (a small .mxl must not become gigabytes of XML in memory).</summary>
    private const long MaxScoreBytes = 256L << 20;
    private const long FreelyInflatingScoreBytes = 16L << 20;

    private static Stream OpenScore(ZipArchiveEntry entry, long archiveLength, string source)
    {
        try
        {
            return SafeArchive.OpenBounded(entry, archiveLength, MaxScoreBytes, source, FreelyInflatingScoreBytes);
        }
        catch (InvalidDataException e)
        {
            throw new ConversionRejectedException(e.Message, e);
        }
    }

    /// <summary>The script's choice of score in an .mxl: the first member (in archive order) whose name does not start
    /// with <c>META</c> and ends with <c>.xml</c> (any case). It does not read META-INF/container.xml.</summary>
    private static ZipArchiveEntry? FirstScoreEntry(ZipArchive zip) =>
        zip.Entries.FirstOrDefault(e => !e.FullName.StartsWith("META", StringComparison.Ordinal)
            && e.FullName.Length >= 4 && e.FullName[^4..].ToLowerInvariant() == ".xml");

    /// <param name="fnm">the input path without extension (the script names its output <c>fnm.abc</c> in messages)</param>
    /// <param name="fnmext">the input path, as the script names it in its error line</param>
    private static Xml2AbcResult Run(Func<XmlElementNode> load, string fnm, string fnmext, Xml2AbcOptions? options)
    {
        options ??= Xml2AbcOptions.Default;
        options.Validate();
        var log = new Diagnostics();
        var abcName = fnm + ".abc";
        var abcOut = new AbcOutput(abcName, 0, options, log);
        var parser = new ScoreParser(options, abcOut, log);
        string reason;
        Exception inner;
        try
        {
            var root = load();
            if (parser.Parse(root)) return new Xml2AbcResult(abcOut.WriteAll(), log.Lines);
            log.Info($"nothing written, {abcName} has no notes ...");
            throw new ConversionRejectedException($"nothing written, {abcName} has no notes ...");
        }
        catch (PythonStyleException e) { (reason, inner) = ($"<class '{e.PythonType}'> occurred: {e.Message}", e); }
        catch (XmlException e) { (reason, inner) = ($"<class 'xml.etree.ElementTree.ParseError'> occurred: {e.Message}", e); }
        catch (Exception e) when (e is not ConversionRejectedException and not IOException and not UnauthorizedAccessException)
        {
            // A .NET failure where the script would also have failed (or a gap in the port): no output either way.
            (reason, inner) = ($"<{e.GetType().Name}> occurred: {e.Message}", e);
        }
        // the script's stderr line, without its leading "** "
        throw new ConversionRejectedException($"{reason} in {fnmext}", inner);
    }
}
