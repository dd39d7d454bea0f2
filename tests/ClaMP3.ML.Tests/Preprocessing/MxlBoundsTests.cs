using System.IO.Compression;
using System.Text;
using ClaMP3.ML.MusicXml;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>A compressed MusicXML file is a zip: its score member is bounded before it is parsed.</summary>
[TestClass]
public class MxlBoundsTests
{
    [TestMethod]
    public void AnMxlWhoseScoreInflatesToHundredsOfMegabytesIsRefusedUnparsed()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "bomb.mxl");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("score.xml", CompressionLevel.Fastest).Open();
            s.Write(Encoding.ASCII.GetBytes("<?xml version=\"1.0\"?><score-partwise version=\"3.1\"><part-list/>"));
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<a/>", 1 << 18))); // 1 MiB of elements
            for (int i = 0; i < 300; i++) s.Write(chunk);
            s.Write(Encoding.ASCII.GetBytes("</score-partwise>"));
        }
        Assert.IsTrue(new FileInfo(path).Length < 4 << 20, "a small file");
        AllocationProbe.Refused<ConversionRejectedException>(() => Xml2Abc.ConvertFile(path), "mxl bomb", path, "score.xml");
        using var stream = File.OpenRead(path);
        AllocationProbe.Refused<ConversionRejectedException>(() => Xml2Abc.ConvertMxl(stream), "mxl bomb stream", "score.xml");
    }
}
