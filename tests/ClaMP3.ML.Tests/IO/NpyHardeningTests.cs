using System.Text;
using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Tests.IO;

/// <summary>An .npy header is checked before it is believed: shapes with overflow-safe arithmetic, the data size
/// against the file, and float features read from disk must be finite.</summary>
[TestClass]
public class NpyHardeningTests
{
    /// <summary>A numpy 1.0 file with any header text and <paramref name="dataBytes"/> bytes of data.</summary>
    private static string Write(string folder, string shape, int dataBytes, string descr = "<f4")
    {
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        header += new string(' ', (64 - (10 + header.Length + 1) % 64) % 64) + "\n";
        string path = Path.Combine(folder, $"{Guid.NewGuid():N}.npy");
        using var s = File.Create(path);
        s.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.Latin1.GetBytes(header));
        s.Write(new byte[dataBytes]);
        return path;
    }

    [TestMethod]
    public void ShapesWhoseProductOverflowsAreRefusedNotReadAsEmpty()
    {
        using var tmp = TestPaths.NewTempDir();
        // 2^32 · 2^32 · 4 bytes wraps to 0 in 64-bit arithmetic; 2^62 · 4 overflows; a negative dimension.
        foreach (var shape in new[] { "(4294967296, 4294967296)", "(4611686018427387904,)", "(1, 4294967296, 4294967296, 768)", "(-1, 768)", "(12345678901234567890123,)" })
        {
            string path = Write(tmp.Path, shape, 0);
            var e = AllocationProbe.Refused<InvalidDataException>(() => NpyFile.Read(path), shape, path);
            StringAssert.Contains(e.Message, "shape", shape);
        }
    }

    [TestMethod]
    public void TheDeclaredSizeMustMatchTheFileBeforeAnythingIsAllocated()
    {
        using var tmp = TestPaths.NewTempDir();
        string huge = Write(tmp.Path, "(100000000, 4)", 64); // 1.6 GB declared, 64 bytes present
        AllocationProbe.Refused<InvalidDataException>(() => NpyFile.Read(huge), "huge declared size", huge, "1600000000");
        string trailing = Write(tmp.Path, "(2, 3)", 24 + 4);
        AllocationProbe.Refused<InvalidDataException>(() => NpyFile.Read(trailing), "trailing data", trailing, "beyond");
        string exact = Write(tmp.Path, "(2, 3)", 24);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, NpyFile.Read(exact).Shape);
        string longHeader = Path.Combine(tmp.Path, "v2.npy");
        File.WriteAllBytes(longHeader, new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{' });
        AllocationProbe.Refused<InvalidDataException>(() => NpyFile.Read(longHeader), "2 GB header", longHeader, "header");
    }

    [TestMethod]
    public void FeaturesWithNaNOrInfReadFromDiskAreRefusedNamingTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            string path = Path.Combine(tmp.Path, $"query-{Guid.NewGuid():N}.npy");
            var values = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
            values[17] = bad;
            NpyFile.WriteFloat32(path, values, 1, 24);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => FeatureFolder.ReadVector(path), bad.ToString());
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "element 17");
            Assert.ThrowsExactly<InvalidDataException>(() => NpyFile.Read(path).ToFiniteFloat32(path));
        }
    }
}
