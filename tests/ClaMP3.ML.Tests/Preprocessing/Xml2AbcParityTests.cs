using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ClaMP3.ML.MusicXml;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>xml2abc port against the outputs of the official <c>batch_xml2abc.py</c> (xml2abc.py 143, -d 8 -x):
/// every case byte for byte (or rejected when the script wrote nothing).</summary>
[TestClass]
public sealed class Xml2AbcParityTests
{
    private sealed record Case(string Id, string Input, string? Expected);

    private static List<Case> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("preprocess", "manifest.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => c.GetProperty("kind").GetString() == "xml2abc")
            .Select(c => new Case(c.GetProperty("id").GetString()!, c.GetProperty("input").GetString()!,
                c.TryGetProperty("expected", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null))
            .ToList();
    }

    /// <summary>Where two texts first differ: the 1-based line and both lines.</summary>
    internal static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of text>";
            var al = i < a.Length ? a[i] : "<end of text>";
            if (el != al) return $"line {i + 1}: expected [{el}] got [{al}]";
        }
        return "identical";
    }

    [TestMethod]
    public void EveryManifestCaseMatchesTheScriptByteForByte()
    {
        var cases = Cases();
        Assert.IsTrue(cases.Count >= 25, $"expected the 25 xml2abc cases, found {cases.Count}");
        var converter = new Xml2AbcConverter();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var input = TestPaths.Fixture("preprocess", c.Input);
            try
            {
                var result = converter.Convert(input, new ConverterOptions());
                if (c.Expected == null) { failures.Add($"{c.Id}: expected a rejection, got output"); continue; }
                Assert.AreEqual(".abc", result.Extension);
                var expected = File.ReadAllBytes(TestPaths.Fixture("preprocess", c.Expected));
                if (!expected.AsSpan().SequenceEqual(result.Content))
                    failures.Add($"{c.Id}: {FirstDifference(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(result.Content))}");
            }
            catch (ConversionRejectedException e)
            {
                if (c.Expected != null) failures.Add($"{c.Id}: rejected ({e.Message}) but the script wrote output");
            }
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {cases.Count} cases differ:\n" + string.Join("\n", failures));
    }

    [TestMethod]
    public void InMemoryApiGivesTheSameTextAsTheFileConverter()
    {
        var c = Cases().First(x => x.Id.EndsWith("coleraine", StringComparison.Ordinal));
        var input = TestPaths.Fixture("preprocess", c.Input);
        var expected = File.ReadAllText(TestPaths.Fixture("preprocess", c.Expected!), Encoding.UTF8);
        var fromText = Xml2Abc.Convert(File.ReadAllText(input, Encoding.UTF8), Xml2AbcOptions.ClaMP3Preprocessing);
        using var stream = File.OpenRead(input);
        var fromStream = Xml2Abc.Convert(stream, Xml2AbcOptions.ClaMP3Preprocessing);
        Assert.AreEqual(expected, fromText, FirstDifference(expected, fromText));
        Assert.AreEqual(expected, fromStream, FirstDifference(expected, fromStream));
    }

    [TestMethod]
    public void CompressedMxlIsReadLikeTheScriptReadsIt()
    {
        // Zip a fixture score with a container.xml (listed first, as MuseScore writes it) into a temp .mxl.
        var c = Cases().First(x => x.Id.EndsWith("scotland-the-brave", StringComparison.Ordinal));
        using var tmp = TestPaths.NewTempDir();
        var mxl = Path.Combine(tmp.Path, "scotland.mxl");
        using (var zip = ZipFile.Open(mxl, ZipArchiveMode.Create))
        {
            using (var w = new StreamWriter(zip.CreateEntry("META-INF/container.xml").Open()))
                w.Write("<?xml version=\"1.0\" encoding=\"UTF-8\"?><container><rootfiles><rootfile full-path=\"score.xml\"/></rootfiles></container>");
            zip.CreateEntryFromFile(TestPaths.Fixture("preprocess", c.Input), "score.xml");
        }
        var result = new Xml2AbcConverter().Convert(mxl, new ConverterOptions());
        var expected = File.ReadAllBytes(TestPaths.Fixture("preprocess", c.Expected!));
        CollectionAssert.AreEqual(expected, result.Content, FirstDifference(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(result.Content)));

        // An archive whose only score is not named *.xml: the script has no file to read and writes nothing.
        var bad = Path.Combine(tmp.Path, "bad.mxl");
        using (var zip = ZipFile.Open(bad, ZipArchiveMode.Create))
            zip.CreateEntryFromFile(TestPaths.Fixture("preprocess", c.Input), "score.musicxml");
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => new Xml2AbcConverter().Convert(bad, new ConverterOptions()));
        StringAssert.Contains(e.Message, "NameError");
    }

    [TestMethod]
    public void ScoresTheScriptWritesNothingForAreRejectedWithItsReason()
    {
        const string noNotes = "<?xml version=\"1.0\"?><score-partwise><part-list><score-part id=\"P1\"><part-name>x</part-name></score-part></part-list>"
            + "<part id=\"P1\"><measure number=\"1\"><attributes><divisions>1</divisions></attributes></measure></part></score-partwise>";
        var e1 = Assert.ThrowsExactly<ConversionRejectedException>(() => Xml2Abc.Convert(noNotes, Xml2AbcOptions.ClaMP3Preprocessing));
        StringAssert.Contains(e1.Message, "has no notes");

        var e2 = Assert.ThrowsExactly<ConversionRejectedException>(() => Xml2Abc.Convert("<score-partwise><part>", Xml2AbcOptions.ClaMP3Preprocessing));
        StringAssert.Contains(e2.Message, "ParseError");

        // An accidental name the script has no mapping for raises KeyError in the script.
        const string oddAccidental = "<score-partwise><part-list><score-part id=\"P1\"><part-name>x</part-name></score-part></part-list>"
            + "<part id=\"P1\"><measure number=\"1\"><attributes><divisions>1</divisions></attributes>"
            + "<note><pitch><step>C</step><octave>4</octave></pitch><duration>4</duration><voice>1</voice><accidental>quarter-sharp</accidental></note>"
            + "</measure></part></score-partwise>";
        var e3 = Assert.ThrowsExactly<ConversionRejectedException>(() => Xml2Abc.Convert(oddAccidental, Xml2AbcOptions.ClaMP3Preprocessing));
        StringAssert.Contains(e3.Message, "KeyError");
    }
}
