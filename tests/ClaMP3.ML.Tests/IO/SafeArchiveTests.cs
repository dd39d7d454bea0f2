using System.IO.Compression;
using System.Security.Cryptography;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.IO;

/// <summary>Extracting a zip member through <see cref="AtomicFile"/>: owner-only on Unix, checked against its SHA-256
/// and size before the rename, and no temporary file left when a check fails.</summary>
[TestClass]
public class SafeArchiveTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
    private static readonly string ContentSha = Convert.ToHexString(SHA256.HashData(Content)).ToLowerInvariant();

    private static string Zip(string folder)
    {
        string path = Path.Combine(folder, "model.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var stream = zip.CreateEntry("weights.pth").Open();
        stream.Write(Content);
        return path;
    }

    private static void Extract(string zipPath, string target, long size, string sha256)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        SafeArchive.ExtractVerified(zip.GetEntry("weights.pth")!, target, size, sha256, new FileInfo(zipPath).Length, zipPath);
    }

    [TestMethod]
    public void AnExtractedMemberIsOwnerOnlyAndItsTemporaryIsGone()
    {
        using var tmp = TestPaths.NewTempDir();
        string zip = Zip(tmp.Path), cache = Path.Combine(tmp.Path, "cache"), target = Path.Combine(cache, "weights.pth");
        Directory.CreateDirectory(cache);
        Extract(zip, target, Content.Length, ContentSha);
        CollectionAssert.AreEqual(Content, File.ReadAllBytes(target));
        CollectionAssert.AreEqual(new[] { target }, Directory.GetFiles(cache));
        if (!OperatingSystem.IsWindows())
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    [TestMethod]
    public void AMemberThatFailsItsChecksLeavesTheTargetAndNoTemporary()
    {
        using var tmp = TestPaths.NewTempDir();
        string zip = Zip(tmp.Path), cache = Path.Combine(tmp.Path, "cache"), target = Path.Combine(cache, "weights.pth");
        Directory.CreateDirectory(cache);
        File.WriteAllText(target, "the cached file");
        var wrongSha = Assert.ThrowsExactly<InvalidDataException>(() => Extract(zip, target, Content.Length, new string('0', 64)));
        StringAssert.Contains(wrongSha.Message, "SHA-256");
        var wrongSize = Assert.ThrowsExactly<InvalidDataException>(() => Extract(zip, target, Content.Length - 1, ContentSha));
        StringAssert.Contains(wrongSize.Message, "manifest records");
        Assert.AreEqual("the cached file", File.ReadAllText(target));
        CollectionAssert.AreEqual(new[] { target }, Directory.GetFiles(cache), "no temporary file is left");
    }
}
