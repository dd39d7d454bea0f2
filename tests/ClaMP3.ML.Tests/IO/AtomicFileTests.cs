using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.IO;

/// <summary>The one atomic-write helper's options (read-write reopen, owner-only mode) and its path-level API for
/// companion files written by other code; the basic write is covered with the file batch (FileBatchTests).</summary>
[TestClass]
public class AtomicFileTests
{
    private static readonly byte[] Old = "old"u8.ToArray();

    [TestMethod]
    public void AReadWriteTemporaryCanBeReopenedAndRewrittenBeforeTheCommit()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "sub", "x.bin");
        using (var writer = AtomicFile.Create(path, new AtomicFileOptions { ReadWrite = true }))
        {
            Assert.AreEqual(Path.GetFullPath(path), AtomicFile.TargetOfTemporary(writer.TemporaryPath), "a recognised temporary");
            writer.Stream.Write(new byte[4]);
            writer.Stream.Write("body"u8);
            writer.Stream.Flush();
            // Another reader sees what was written (as the index builder reopens its file to build the graph).
            using (var reader = new FileStream(writer.TemporaryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                CollectionAssert.AreEqual("\0\0\0\0body"u8.ToArray(), ReadAll(reader));
            writer.Stream.Position = 0;
            writer.Stream.Write("head"u8); // a header rewritten at the end
            writer.Stream.Position = writer.Stream.Length;
            Assert.IsFalse(File.Exists(path), "nothing at the target before the commit");
            writer.Commit();
            Assert.IsFalse(File.Exists(writer.TemporaryPath));
        }
        CollectionAssert.AreEqual("headbody"u8.ToArray(), File.ReadAllBytes(path));
    }

    [TestMethod]
    public void TheDefaultTemporaryIsWriteOnlyAndUnshared()
    {
        using var tmp = TestPaths.NewTempDir();
        using var writer = AtomicFile.Create(Path.Combine(tmp.Path, "x.bin"));
        Assert.IsFalse(writer.Stream.CanRead);
        Assert.ThrowsExactly<IOException>(() => new FileStream(writer.TemporaryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite).Dispose());
    }

    [TestMethod]
    public void OwnerOnlyCreatesTheFileReadableByItsOwnerAlone()
    {
        if (OperatingSystem.IsWindows()) { Assert.Inconclusive("Unix file modes only."); return; } // the return tells the platform analyzer
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "secret.bin");
        File.WriteAllBytes(path, Old);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (var writer = AtomicFile.Create(path, new AtomicFileOptions { OwnerOnly = true }))
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(writer.TemporaryPath), "private from its creation");
            writer.Stream.Write("new"u8);
            writer.Commit();
        }
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path), "the old file's mode is not kept");
        CollectionAssert.AreEqual("new"u8.ToArray(), File.ReadAllBytes(path));
    }

    [TestMethod]
    public void AFailedWriteWithOptionsLeavesTheTargetAsItWasAndNoTemporary()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "x.bin");
        File.WriteAllBytes(path, Old);
        var options = new AtomicFileOptions { ReadWrite = true, OwnerOnly = !OperatingSystem.IsWindows(), BufferSize = 16 };
        Assert.ThrowsExactly<InvalidDataException>(() =>
        {
            using var writer = AtomicFile.Create(path, options);
            writer.Stream.Write(new byte[100]);
            throw new InvalidDataException("the writer failed");
        });
        CollectionAssert.AreEqual(Old, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(tmp.Path), "no temporary file is left");
    }

    [TestMethod]
    public void AReservedTemporaryIsRecognisedAndCommittedIntoPlace()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "x.bin.hnsw");
        File.WriteAllBytes(path, Old);
        string temporary = AtomicFile.TemporaryPathFor(path);
        Assert.AreNotEqual(temporary, AtomicFile.TemporaryPathFor(path), "unique per call");
        Assert.AreEqual(path, AtomicFile.TargetOfTemporary(temporary));
        Assert.IsFalse(File.Exists(temporary), "only a name: the file is written by someone else");

        File.WriteAllBytes(temporary, "new"u8.ToArray()); // as native code given the path would
        AtomicFile.Commit(temporary, path);
        CollectionAssert.AreEqual("new"u8.ToArray(), File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(tmp.Path));
    }

    [TestMethod]
    public void CommitRefusesAPathThatIsNotATemporaryOfItsTarget()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "x.bin"), other = Path.Combine(tmp.Path, "y.bin");
        File.WriteAllBytes(path, Old);
        string plain = Path.Combine(tmp.Path, "x.bin.tmp"), ofOther = AtomicFile.TemporaryPathFor(other);
        foreach (var temporary in new[] { plain, ofOther })
        {
            File.WriteAllBytes(temporary, "new"u8.ToArray());
            Assert.ThrowsExactly<ArgumentException>(() => AtomicFile.Commit(temporary, path));
            Assert.IsTrue(File.Exists(temporary), "not ours to delete");
        }
        CollectionAssert.AreEqual(Old, File.ReadAllBytes(path));
        // A temporary that was never written (the native writer failed): the target stays.
        Assert.ThrowsExactly<FileNotFoundException>(() => AtomicFile.Commit(AtomicFile.TemporaryPathFor(path), path));
        CollectionAssert.AreEqual(Old, File.ReadAllBytes(path));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
