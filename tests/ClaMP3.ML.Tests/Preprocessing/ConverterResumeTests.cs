using ClaMP3.ML.MusicXml;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.ML.Tests;

/// <summary>A second run of a batch conversion in a new runner (as a new process would be) converts nothing again.</summary>
[TestClass]
public class ConverterResumeTests
{
    [TestMethod]
    public void EveryConverterKnowsItsOutputNameSoAFreshRunResumes()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in");
        Directory.CreateDirectory(input);
        foreach (var name in new[] { "coleraine.xml", "candlemas-eve.xml" })
            File.Copy(Path.Combine(TestPaths.RealData, "musicxml", name), Path.Combine(input, name));
        foreach (IFileConverter converter in new IFileConverter[] { new Xml2AbcConverter(), new Xml2InterleavedConverter() })
        {
            string output = Path.Combine(tmp.Path, converter.Name);
            var first = new BatchConverter(converter).Run(input, output);
            Assert.IsTrue(first.Converted.Count > 0, $"{converter.Name}: nothing converted ({string.Join("; ", first.Failed.Select(f => f.Reason))})");
            var second = new BatchConverter(converter).Run(input, output);
            Assert.AreEqual(0, second.Converted.Count, $"{converter.Name}: a fresh run converted again");
            Assert.AreEqual(first.Converted.Count, second.Skipped.Count, converter.Name);
        }

        string abcIn = Path.Combine(tmp.Path, "xml2abc"), abcOut = Path.Combine(tmp.Path, "interleaved");
        var interleave = new BatchConverter(new AbcToInterleavedConverter()).Run(abcIn, abcOut);
        Assert.IsTrue(interleave.Converted.Count > 0);
        Assert.AreEqual(0, new BatchConverter(new AbcToInterleavedConverter()).Run(abcIn, abcOut).Converted.Count);
    }
}
