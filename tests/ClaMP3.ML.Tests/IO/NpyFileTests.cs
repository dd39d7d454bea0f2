using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests;

[TestClass]
public class NpyFileTests
{
    [TestMethod]
    public void ReadsFixtureFloat32AndRoundTripsBitExactly()
    {
        var file = Directory.EnumerateFiles(TestPaths.Fixture("mert-tiny", "expected"), "*.mert.npy").First();
        var array = NpyFile.Read(file);
        Assert.AreEqual("f4", array.DType);
        Assert.AreEqual(3, array.Shape.Length);
        using var tmp = TestPaths.NewTempDir();
        var copy = Path.Combine(tmp.Path, "copy.npy");
        NpyFile.WriteFloat32(copy, array.ToFloat32(), array.Shape);
        CollectionAssert.AreEqual(File.ReadAllBytes(file), File.ReadAllBytes(copy), "numpy.save writes the same bytes");
    }

    [TestMethod]
    public void TruncatedFileErrorNamesThePath()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "bad.npy");
        NpyFile.WriteFloat32(path, new float[] { 1, 2, 3, 4 }, 2, 2);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => NpyFile.Read(path));
        StringAssert.Contains(e.Message, path);
    }
}
