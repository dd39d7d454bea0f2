using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;

namespace ClaMP3.ML.Tests.Training;

[TestClass]
public sealed class TrainingDataTests
{
    private const string Line = """{"id": "a", "filepaths": ["x.mtf", "x.abc"], "title": "Title", "artists": ["Ann", "Bob"], "language": "en", "analysis": "An analysis.\nSecond line.", "translations": {"language": "de", "German": "Ein Stück."}}""";

    [TestMethod]
    public void JsonlReaderSkipsBadLinesAndMissingFilesWithTheirLocation()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir.Path, "x.abc"), "X:1\nL:1/8\nK:C\nCDEF|GABc|\n");
        var jsonl = Path.Combine(dir.Path, "items.jsonl");
        File.WriteAllText(jsonl, Line + "\n{\"id\": \"broken\"\n" + """{"id": "nofiles", "filepaths": []}""" + "\n" + """{"id": "gone", "filepaths": ["gone.abc"], "analysis": "t"}""" + "\n");
        var skipped = new List<string>();
        var items = M4RagJsonl.Read(jsonl, skipped.Add);
        Assert.AreEqual(2, items.Count, string.Join("\n", skipped));
        Assert.IsTrue(skipped.Any(s => s.Contains("items.jsonl:2")), string.Join("\n", skipped));
        Assert.IsTrue(skipped.Any(s => s.Contains("items.jsonl:3")), string.Join("\n", skipped));
        var pairs = M4RagJsonl.ToPairs(items, dir.Path, Modality.Symbolic, onSkip: skipped.Add);
        Assert.AreEqual(1, pairs.Count);
        Assert.AreEqual("An analysis.\nSecond line.", pairs[0].Text);
        Assert.AreEqual(1, pairs[0].Scores!.Count, "x.mtf is missing, x.abc is read");
        Assert.IsTrue(skipped.Any(s => s.StartsWith("gone:")), string.Join("\n", skipped));
    }

    [TestMethod]
    public void TextDropoutDrawsLinesOfTheCandidateFieldsJoinedWithSep()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("[" + Line + "]");
        using var dir = TestPaths.NewTempDir();
        var jsonl = Path.Combine(dir.Path, "one.jsonl");
        File.WriteAllText(jsonl, Line + "\n");
        var item = M4RagJsonl.Read(jsonl).Single();
        var allowed = new HashSet<string> { "Title", "Ann", "Bob", "An analysis.", "Second line." };
        var random = new Random(3);
        int translations = 0;
        var seen = new HashSet<string>();
        for (int i = 0; i < 400; i++)
        {
            var text = TextDropout.Apply(item, random);
            var parts = text.Split("</s>");
            if (text == "Ein Stück.") { translations++; continue; }
            foreach (var p in parts) { Assert.IsTrue(allowed.Contains(p), $"unexpected line '{p}' in '{text}'"); seen.Add(p); }
            Assert.AreEqual(parts.Length, parts.Distinct().Count(), text);
        }
        Assert.IsTrue(translations is > 150 and < 250, $"the translations are chosen about half of the time: {translations}/400");
        Assert.IsTrue(seen.SetEquals(allowed), "every candidate line (language, id, filepaths excluded) appears");
    }
}
