using ClaMP3.Cli;
using ClaMP3.Cli.Bench;

namespace ClaMP3.ML.Tests.Cli;

/// <summary><c>clamp3 bench model</c>'s list options: what they accept, and one usage line (exit 2) for the rest,
/// before any model is built.</summary>
[TestClass]
public sealed class BenchOptionTests
{
    [TestMethod]
    public void PatchLengthsAreACommaListOfPositiveCountsOrNone()
    {
        CollectionAssert.AreEqual(new[] { 512, 128, 32 }, ModelBenchmark.PatchLengths("512,128,32"));
        CollectionAssert.AreEqual(new[] { 35 }, ModelBenchmark.PatchLengths(" 35 "));
        Assert.AreEqual(0, ModelBenchmark.PatchLengths("none")!.Length);
        foreach (var bad in new[] { "0", "-5", "12,x", "", "1e3", "+4" })
            Assert.IsNull(ModelBenchmark.PatchLengths(bad), bad);
    }

    [TestMethod]
    public void ABadListIsOneUsageLine()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = Clamp3Cli.Run(["bench", "model", "--encoders", "symbolic", "--patch-lengths", "16,0"], o, e);
        Assert.AreEqual(2, code, e.ToString());
        StringAssert.Contains(e.ToString(), "--patch-lengths '16,0'");
        Assert.AreEqual(1, e.ToString().Trim().Split('\n').Length, e.ToString());
    }
}
