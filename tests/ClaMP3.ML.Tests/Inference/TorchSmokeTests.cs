using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests;

[TestClass]
public class TorchSmokeTests
{
    [TestMethod]
    public void LibTorchLoadsAndMultiplies()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = a.matmul(a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
