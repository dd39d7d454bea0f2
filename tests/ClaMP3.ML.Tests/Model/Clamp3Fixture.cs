using System.Text.Json;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.Model;

/// <summary>The clamp3-tiny fixture: manifest cases, paths, and element-wise comparison with its tolerances.</summary>
internal static class Clamp3Fixture
{
    public const double Atol = 1e-4, Rtol = 1e-4;

    public static string Dir => TestPaths.Fixture("clamp3-tiny");
    public static string Checkpoint => Path.Combine(Dir, "clamp3_tiny.pth");
    public static string Config => Path.Combine(Dir, "config.json");
    public static string Tokenizer => TestPaths.Fixture("tokenizer", "spm.model");
    public static string PathOf(string relative) => Path.Combine(Dir, relative);

    public sealed record Case(string Name, string Kind, string Modality, string Input, int Length, int MaxLength,
        int[][] ChunkRanges, int[] ChunkWeights, IReadOnlyDictionary<string, string> Files, string? JoinedText)
    {
        public override string ToString() => $"{Kind}/{Name}";
    }

    private static readonly Lazy<IReadOnlyList<Case>> LazyCases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("name").GetString()!,
            c.GetProperty("kind").GetString()!,
            c.GetProperty("modality").GetString()!,
            c.GetProperty("input").GetString()!,
            c.GetProperty("length").GetInt32(),
            c.GetProperty("max_length").GetInt32(),
            c.GetProperty("chunk_ranges").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray(),
            c.GetProperty("chunk_weights").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("files").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            c.TryGetProperty("joined_text", out var j) ? j.GetString() : null)).ToList();
    });

    public static IReadOnlyList<Case> Cases => LazyCases.Value;

    public static NpyArray Expected(Case c, string file) => NpyFile.Read(PathOf(c.Files[file]));

    /// <summary>The worst |actual − expected| − (atol + rtol·|expected|) excess, and where.</summary>
    public sealed class Comparison
    {
        public double WorstDiff { get; private set; }
        public string WorstWhere { get; private set; } = "-";
        private readonly List<string> _failures = new();

        public void Add(string where, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol = Atol, double rtol = Rtol)
        {
            if (expected.Length != actual.Length) { _failures.Add($"{where}: {actual.Length} values, expected {expected.Length}"); return; }
            for (int i = 0; i < expected.Length; i++)
            {
                double diff = Math.Abs((double)actual[i] - expected[i]);
                if (double.IsNaN(diff)) diff = double.PositiveInfinity;
                if (diff > WorstDiff || WorstWhere == "-") { WorstDiff = diff; WorstWhere = $"{where}[{i}]"; }
                if (!(diff <= atol + rtol * Math.Abs(expected[i])))
                {
                    _failures.Add($"{where}[{i}]: {actual[i]} vs expected {expected[i]} (|diff| {diff:E2})");
                    return;
                }
            }
        }

        public void Fail(string message) => _failures.Add(message);

        public void AssertAll(string what)
        {
            var summary = $"{what}: worst |diff| {WorstDiff:E2} at {WorstWhere}";
            Console.WriteLine(summary);
            if (_failures.Count > 0)
                Assert.Fail($"{summary}; {_failures.Count} failure(s):\n" + string.Join("\n", _failures.Take(20)));
        }
    }
}
