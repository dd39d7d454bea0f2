using System.Text;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Tokenization;

[TestClass]
public class SourceTextTests
{
    [TestMethod]
    public void ReadsLikePythonUniversalNewlinesAndKeepsTheBom()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "a.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("a\r\nb\rc\n\u00e9\r\r\n")]);
        Assert.AreEqual("\ufeffa\nb\nc\n\u00e9\n\n", SourceText.ReadFile(path));
    }

    [TestMethod]
    public void InvalidUtf8ErrorNamesTheFile()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "latin1.abc");
        File.WriteAllBytes(path, [(byte)'X', (byte)':', (byte)'1', (byte)'\n', (byte)'T', (byte)':', 0xE9, (byte)'\n']);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SourceText.ReadFile(path));
        StringAssert.Contains(e.Message, path);
        Assert.ThrowsExactly<FileNotFoundException>(() => SourceText.ReadFile(Path.Combine(tmp.Path, "missing.abc")));
    }
}
