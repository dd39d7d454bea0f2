using System.Text.Json;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Tests.Mert;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary>mert-tiny exported to ONNX and run by ONNX Runtime: every audio case end to end (through
/// <see cref="MertExtractor"/> over <see cref="OnnxMertEngine"/>) and the model-only windows, at the fixture tolerances.</summary>
[TestClass]
public sealed class OnnxMertParityTests
{
    private static TestPaths.TempDir? _temp;
    private static MertExtractor? _extractor;

    [ClassInitialize]
    public static void Export(TestContext _)
    {
        _temp = TestPaths.NewTempDir();
        MertOnnxExporter.Export(MertFixture.Dir, _temp.Path);
        _extractor = new MertExtractor(new OnnxMertEngine(_temp.Path, threads: 1));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _extractor?.Dispose();
        _temp?.Dispose();
    }

    [TestMethod]
    public void EveryAudioCaseMatchesTheOfficialExtraction()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(MertFixture.Dir, "manifest.json")));
        int compared = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            if (!File.Exists(MertFixture.Expected($"{name}.layers.npy"))) continue; // the too-short case: covered by the extractor tests
            var layers = _extractor!.ExtractLayersFromFile(Path.Combine(MertFixture.Dir, c.GetProperty("input").GetString()!));
            var (el, els) = MertFixture.Npy($"{name}.layers.npy");
            MertFixture.AssertClose($"onnx {name}.layers", el, els, layers.Values, new long[] { layers.Layers, layers.Windows, layers.Hidden }, MertFixture.Tolerance("layers"));
            var mert = layers.MeanOverLayers();
            var (em, ems) = MertFixture.Npy($"{name}.mert.npy");
            MertFixture.AssertClose($"onnx {name}.mert", em, ems, mert.Values, new long[] { 1, mert.Rows, mert.Columns }, MertFixture.Tolerance("mert"));
            compared++;
        }
        Assert.IsTrue(compared >= 5, $"only {compared} cases compared");
    }

    [TestMethod]
    [DataRow("window")]
    [DataRow("window_short")]
    public void ModelOnlyWindowsMatchTheHiddenStateMeans(string window)
    {
        var (input, _) = MertFixture.Npy($"{window}.input.npy");
        var (states, shape) = MertFixture.Npy($"{window}.hidden_states.npy"); // (L, T, H)
        int layers = (int)shape[0], frames = (int)shape[1], hidden = (int)shape[2];
        var expected = new float[layers * hidden];
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < hidden; h++)
            {
                double sum = 0;
                for (int t = 0; t < frames; t++) sum += states[((long)l * frames + t) * hidden + h];
                expected[l * hidden + h] = (float)(sum / frames);
            }
        using var engine = new OnnxMertEngine(_temp!.Path, threads: 1);
        var actual = engine.HiddenStateTimeMeans(input, 1, input.Length);
        MertFixture.AssertClose($"onnx {window} hidden-state means", expected, new long[] { layers, 1, hidden }, actual, new long[] { layers, 1, hidden }, MertFixture.Tolerance("hidden_states"));
    }
}
