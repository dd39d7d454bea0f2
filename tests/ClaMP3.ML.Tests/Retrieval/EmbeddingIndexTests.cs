using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Tests;

/// <summary>What <c>clamp3 search</c> ranks: an index file by its magic, else a folder of global features (not recursive).</summary>
[TestClass]
public class EmbeddingIndexTests
{
    [TestMethod]
    public void OpensAnIndexFileOrTheFeaturesDirectlyInAFolder()
    {
        using var tmp = TestPaths.NewTempDir();
        string folder = Path.Combine(tmp.Path, "features");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        NpyFile.WriteFloat32(Path.Combine(folder, "x.v1.npy"), [1f, 0f], 1, 2);
        NpyFile.WriteFloat32(Path.Combine(folder, "y.npy"), [0f, 1f], 1, 2);
        NpyFile.WriteFloat32(Path.Combine(folder, "sub", "z.npy"), [1f, 1f], 1, 2);
        using (var fromFolder = EmbeddingIndex.OpenFolderOrFile(folder))
        {
            CollectionAssert.AreEquivalent(new[] { "x", "y" }, fromFolder.Ids.ToArray(), "keys up to the first dot; sub-folders are not searched");
            Assert.IsNull(fromFolder.File);
            string index = Path.Combine(tmp.Path, "all.c3index");
            fromFolder.Save(index);
            using var fromFile = EmbeddingIndex.OpenFolderOrFile(index);
            Assert.IsNotNull(fromFile.File);
            Assert.AreEqual("y", fromFile.Search([0.1f, 1f], 1).Single().Id);
        }

        string notAnIndex = Path.Combine(tmp.Path, "notes.txt");
        File.WriteAllText(notAnIndex, "hello");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => EmbeddingIndex.OpenFolderOrFile(notAnIndex)).Message, "neither a features folder");
        string empty = Path.Combine(tmp.Path, "empty");
        Directory.CreateDirectory(empty);
        StringAssert.StartsWith(Assert.ThrowsExactly<InvalidDataException>(() => EmbeddingIndex.OpenFolderOrFile(empty)).Message, "No .npy files in");
    }
}
