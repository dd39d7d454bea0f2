using System.Text;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.IO;

/// <summary>The one MERT feature reader (embedding and training): strict on dtype, rank, width, emptiness, finite
/// values and header sizes, naming the file.</summary>
[TestClass]
public class MertFeatureFileTests
{
    [TestMethod]
    public void ReadsTheOfficialShapesAndWarnsForLayerStacks()
    {
        using var tmp = TestPaths.NewTempDir();
        string a = Path.Combine(tmp.Path, "a.npy"), b = Path.Combine(tmp.Path, "b.npy");
        NpyFile.WriteFloat32(a, Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 1, 3, 4);
        var m = MertFeatureFile.Read(a, 4);
        Assert.AreEqual((3, 4, 11f), (m.Rows, m.Columns, m.Values[11]));
        NpyFile.WriteFloat32(b, new float[24], 2, 3, 4);
        var warnings = new List<string>();
        Assert.AreEqual(6, MertFeatureFile.Read(b, 4, warnings.Add).Rows);
        StringAssert.StartsWith(warnings.Single(), b);
    }

    [TestMethod]
    public void RefusesWhatWouldGiveGarbage()
    {
        using var tmp = TestPaths.NewTempDir();
        var cases = new Dictionary<string, Action<string>>
        {
            ["rank1"] = p => NpyFile.WriteFloat32(p, new float[8], 8),
            ["narrow"] = p => NpyFile.WriteFloat32(p, new float[6], 1, 2, 3),
            ["empty"] = p => NpyFile.WriteFloat32(p, [], 1, 0, 4),
            ["float64"] = p => NpyFile.Write(p, "f8", [2, 4], new byte[64]),
            ["nan"] = p => NpyFile.WriteFloat32(p, [0, 1, float.NaN, 3], 1, 1, 4),
            ["inf"] = p => NpyFile.WriteFloat32(p, [0, float.PositiveInfinity, 2, 3], 1, 4),
            ["overflow"] = p => File.WriteAllBytes(p, Header("(4294967296, 4294967296, 4)")),
            ["negative"] = p => File.WriteAllBytes(p, Header("(-1, 4)")),
        };
        foreach (var (name, write) in cases)
        {
            string path = Path.Combine(tmp.Path, name + ".npy");
            write(path);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => MertFeatureFile.Read(path, 4), name);
            StringAssert.StartsWith(e.Message, path, name);
        }
        var allowed = Path.Combine(tmp.Path, "nan.npy");
        Assert.IsTrue(float.IsNaN(MertFeatureFile.Read(allowed, 4, allowNonFinite: true).Values[2]), "an explicit option allows NaN");
    }

    /// <summary>A version-1.0 .npy header declaring <paramref name="shape"/> over 16 bytes of data.</summary>
    private static byte[] Header(string shape)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)header.Length, 0]);
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        bytes.AddRange(new byte[16]);
        return bytes.ToArray();
    }
}
