using System.Text;
using System.Text.Json;
using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>Every <c>interleaved</c> case of <c>preprocess/manifest.json</c>: the official output byte for byte, or the
/// official rejection, and the official stdout line for line.</summary>
[TestClass]
public sealed class AbcInterleaverParityTests
{
    private sealed record Case(string Id, string Input, string? Expected, string Outcome, string Stdout);

    private static List<Case> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("preprocess", "manifest.json")));
        var cases = new List<Case>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("kind").GetString() != "interleaved") continue;
            var expected = c.GetProperty("expected");
            cases.Add(new Case(c.GetProperty("id").GetString()!, c.GetProperty("input").GetString()!,
                expected.ValueKind == JsonValueKind.Null ? null : expected.GetString(),
                c.GetProperty("outcome").GetString()!, c.GetProperty("stdout").GetString()!));
        }
        return cases;
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of text>";
            var al = i < a.Length ? a[i] : "<end of text>";
            if (el != al) return $"line {i + 1}:\n  expected: {el}\n  actual:   {al}";
        }
        return "no line differs";
    }

    [TestMethod]
    public void EveryInterleavedCaseMatchesTheOfficialScript()
    {
        var cases = Cases();
        Assert.AreEqual(45, cases.Count, "interleaved cases in the manifest");
        var failures = new List<string>();
        int written = 0, rejected = 0;
        foreach (var c in cases)
        {
            var inputPath = TestPaths.Fixture("preprocess", c.Input);
            var outcome = AbcInterleaver.Run(AbcToInterleavedConverter.Decode(File.ReadAllBytes(inputPath)));

            var stdout = string.Concat(outcome.Output.Select(l => l.Render("<in>/" + Path.GetFileName(inputPath)) + "\n"));
            if (stdout != c.Stdout)
                failures.Add($"{c.Id}: stdout differs: {FirstDifference(c.Stdout, stdout)}");

            if (c.Expected is null)
            {
                rejected++;
                if (!outcome.IsRejected) failures.Add($"{c.Id}: expected a rejection, got {outcome.Text!.Length} chars");
                continue;
            }
            written++;
            if (outcome.IsRejected) { failures.Add($"{c.Id}: rejected ({outcome.RejectionReason}), expected output"); continue; }
            var expectedBytes = File.ReadAllBytes(TestPaths.Fixture("preprocess", c.Expected));
            var actualBytes = new UTF8Encoding(false).GetBytes(outcome.Text!);
            if (!expectedBytes.AsSpan().SequenceEqual(actualBytes))
                failures.Add($"{c.Id}: output differs at {FirstDifference(Encoding.UTF8.GetString(expectedBytes), outcome.Text!)}");
        }
        Assert.AreEqual(25, written, "cases with an expected output");
        Assert.AreEqual(20, rejected, "rejected cases");
        Assert.IsEmpty(failures, $"{failures.Count} of {cases.Count} cases fail:\n" + string.Join("\n", failures));
    }

    [TestMethod]
    public void ConverterWritesTheOfficialBytesAndRejectsWithTheReason()
    {
        var converter = new AbcToInterleavedConverter();
        foreach (var c in Cases())
        {
            var inputPath = TestPaths.Fixture("preprocess", c.Input);
            if (c.Expected is null)
            {
                // Official mode: the official outcomes exactly (the default plain-ABC route is PlainAbcTests' subject).
                var e = Assert.ThrowsExactly<ConversionRejectedException>(() => converter.Convert(inputPath, new ConverterOptions(AcceptPlainAbc: false)), c.Id);
                var officialReason = c.Stdout.TrimEnd('\n').Split('\n')[^1];
                var reason = officialReason[(officialReason.IndexOf(".abc ", StringComparison.Ordinal) + 5)..];
                Assert.StartsWith(reason, e.Message, c.Id);
                continue;
            }
            // Accepted tunes: byte-identical with plain-ABC support on (the default) and off.
            var file = converter.Convert(inputPath, new ConverterOptions());
            CollectionAssert.AreEqual(file.Content, converter.Convert(inputPath, new ConverterOptions(AcceptPlainAbc: false)).Content, c.Id);
            Assert.AreEqual(".abc", file.Extension, c.Id);
            CollectionAssert.AreEqual(File.ReadAllBytes(TestPaths.Fixture("preprocess", c.Expected)), file.Content, c.Id);
            Assert.AreEqual(c.Outcome == "ok_with_warnings", file.Warnings.Count > 0, c.Id);
        }
    }
}
