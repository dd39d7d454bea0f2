using ClaMP3.ML.Modeling.Mert;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Mert;

/// <summary>The per-device convolution choice of the MERT feature encoder: which algorithm Auto picks, and that the
/// GEMM (CPU's choice) and conv1d (CUDA's choice) give the same numbers on mert-tiny.</summary>
[TestClass]
public sealed class MertConvAlgorithmTests
{
    [TestMethod]
    public void AutoPicksTheGemmOnCpuAndConv1dOnCuda()
    {
        Assert.AreEqual(MertConvAlgorithm.Gemm, MertConv.Resolve(MertConvAlgorithm.Auto, DeviceType.CPU));
        Assert.AreEqual(MertConvAlgorithm.Conv1d, MertConv.Resolve(MertConvAlgorithm.Auto, DeviceType.CUDA));
        foreach (var forced in new[] { MertConvAlgorithm.Gemm, MertConvAlgorithm.Conv1d })
        {
            Assert.AreEqual(forced, MertConv.Resolve(forced, DeviceType.CPU));
            Assert.AreEqual(forced, MertConv.Resolve(forced, DeviceType.CUDA));
        }
    }

    [TestMethod]
    [DataRow("window")]
    [DataRow("window_short")]
    public void GemmAndConv1dGiveTheSameNumbersOnMertTiny(string window) => CompareAlgorithms(window, CPU);

    internal static void CompareAlgorithms(string window, Device device)
    {
        using var scope = NewDisposeScope();
        using var model = MertPretrained.Load(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(MertFixture.Dir, "pytorch_model.bin"), device.ToString());
        var (values, shape) = MertFixture.Npy($"{window}.input.npy");
        var input = tensor(values, shape).to(device);
        (float[][] Layers, float[] Hidden) Run(MertConvAlgorithm algorithm)
        {
            using var inner = NewDisposeScope();
            model.feature_extractor.ConvAlgorithm = algorithm;
            var layers = new List<float[]>();
            model.feature_extractor.call(input, (_, y) => layers.Add(y.cpu().contiguous().data<float>().ToArray()));
            var states = model.HiddenStates(input);
            var hidden = stack(states.Select(h => h[0]).ToArray(), 0).cpu().contiguous().data<float>().ToArray();
            foreach (var h in states) h.Dispose();
            return (layers.ToArray(), hidden);
        }
        var gemm = Run(MertConvAlgorithm.Gemm);
        var conv1d = Run(MertConvAlgorithm.Conv1d);
        model.feature_extractor.ConvAlgorithm = MertConvAlgorithm.Auto;
        Assert.AreEqual(gemm.Layers.Length, conv1d.Layers.Length);
        for (int i = 0; i < gemm.Layers.Length; i++)
            MertFixture.AssertClose($"{window} conv layer {i} on {device.type}: conv1d vs GEMM", gemm.Layers[i], new long[] { gemm.Layers[i].Length },
                conv1d.Layers[i], new long[] { conv1d.Layers[i].Length }, 1e-5);
        MertFixture.AssertClose($"{window} hidden states on {device.type}: conv1d vs GEMM", gemm.Hidden, new long[] { gemm.Hidden.Length },
            conv1d.Hidden, new long[] { conv1d.Hidden.Length }, 1e-5);
        // And both against the official numbers.
        var (expected, _) = MertFixture.Npy($"{window}.hidden_states.npy");
        double atol = MertFixture.Tolerance("hidden_states");
        MertFixture.AssertClose($"{window} GEMM vs official", expected, new long[] { expected.Length }, gemm.Hidden, new long[] { gemm.Hidden.Length }, atol);
        MertFixture.AssertClose($"{window} conv1d vs official", expected, new long[] { expected.Length }, conv1d.Hidden, new long[] { conv1d.Hidden.Length }, atol);
    }
}
