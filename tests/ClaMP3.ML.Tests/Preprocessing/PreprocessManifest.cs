using System.Text;
using System.Text.Json;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>One case of <c>fixtures/preprocess/manifest.json</c>.</summary>
internal sealed record PreprocessCase(string Id, string Kind, string Input, string? Expected, string Outcome, string? ErrorLog, bool? RemtfEqualsInput)
{
    public string InputPath => TestPaths.Fixture("preprocess", Input);
    public string? ExpectedPath => Expected is null ? null : TestPaths.Fixture("preprocess", Expected);
}

internal static class PreprocessManifest
{
    private static readonly Lazy<IReadOnlyList<PreprocessCase>> All = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Fixture("preprocess", "manifest.json")));
        var list = new List<PreprocessCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string? Str(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            bool? remtf = c.TryGetProperty("remtf_equals_input", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False ? r.GetBoolean() : null;
            list.Add(new PreprocessCase(Str("id")!, Str("kind")!, Str("input")!, Str("expected"), Str("outcome")!, Str("error_log"), remtf));
        }
        return list;
    });

    public static IReadOnlyList<PreprocessCase> Cases(string kind) => All.Value.Where(c => c.Kind == kind).ToList();

    /// <summary>"line N differs: expected '...' got '...'" for the first differing line, or null when equal.</summary>
    public static string? FirstDifference(string expected, string actual)
    {
        if (expected == actual) return null;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string? el = i < e.Length ? e[i] : null, al = i < a.Length ? a[i] : null;
            if (el != al)
                return $"line {i + 1} differs: expected {Show(el)}, got {Show(al)} (expected {e.Length} lines, got {a.Length})";
        }
        return "the texts differ only in line endings";
    }

    /// <summary>First differing byte of two files, with a few bytes of context.</summary>
    public static string? FirstDifference(byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return null;
        int i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i]) i++;
        string Ctx(byte[] b) => Convert.ToHexString(b, Math.Max(0, i - 4), Math.Min(b.Length, i + 8) - Math.Max(0, i - 4));
        return $"byte {i} differs (lengths {expected.Length} vs {actual.Length}): expected …{Ctx(expected)}…, got …{Ctx(actual)}…";
    }

    private static string Show(string? line) => line is null ? "<no line>" : "'" + line + "'";

    public static string ReadUtf8(string path) => new UTF8Encoding(false, true).GetString(File.ReadAllBytes(path));
}
