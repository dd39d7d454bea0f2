using System.Globalization;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.Mert;

/// <summary>Access to <c>../shared/fixtures/mert-tiny</c> and an element-wise |a − e| ≤ atol comparison that reports
/// the worst element.</summary>
internal static class MertFixture
{
    public static string Dir => TestPaths.Fixture("mert-tiny");
    public static string Expected(string name) => Path.Combine(Dir, "expected", name);
    public static string Input(string name) => Path.Combine(Dir, "inputs", name);

    public static (float[] Values, long[] Shape) Npy(string expectedName)
    {
        var a = NpyFile.Read(Expected(expectedName));
        return (a.ToFloat32(), a.Shape);
    }

    /// <summary>Asserts shape and |actual − expected| ≤ atol for every element; the message names the case, the
    /// worst difference and where it is. Returns the worst difference.</summary>
    public static double AssertClose(string what, float[] expected, long[] expectedShape, float[] actual, long[] actualShape, double atol)
    {
        CollectionAssert.AreEqual(expectedShape, actualShape, $"{what}: shape ({string.Join(", ", actualShape)}) vs expected ({string.Join(", ", expectedShape)})");
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: element count");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d)) { worst = double.NaN; at = i; break; }
            if (d > worst) { worst = d; at = i; }
        }
        string message = string.Create(CultureInfo.InvariantCulture,
            $"{what}: worst |diff| {worst:E2} at flat index {at} (actual {(at >= 0 ? actual[at] : 0)}, expected {(at >= 0 ? expected[at] : 0)}), atol {atol:E0}");
        Console.WriteLine(message);
        Assert.IsTrue(worst <= atol, message);
        return worst;
    }

    /// <summary>Tolerance from manifest.json's <c>tolerances</c> (so a tighter/looser fixture set carries its own).</summary>
    public static double Tolerance(string key)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "manifest.json")));
        return doc.RootElement.GetProperty("tolerances").GetProperty(key).GetProperty("atol").GetDouble();
    }
}
