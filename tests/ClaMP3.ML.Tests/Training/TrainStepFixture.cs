using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Training;

/// <summary>clamp3-tiny/train: batches, expected values, and the README's element-wise comparison rule.</summary>
internal static class TrainStepFixture
{
    public static string Dir(string batch) => TestPaths.Fixture("clamp3-tiny", "train", batch);
    public static string Checkpoint => TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth");
    public static string Config => TestPaths.Fixture("clamp3-tiny", "config.json");

    public static Clamp3Model LoadModel() => Clamp3ModelLoader.Load(Checkpoint, Config).Model;

    public static float[] Floats(string batch, string file) => NpyFile.Read(Path.Combine(Dir(batch), file)).ToFloat32();

    public static ContrastiveBatch LoadBatch(string batch)
    {
        var modality = batch == "text_symbolic" ? Modality.Symbolic : Modality.Audio;
        Tensor Load(string file)
        {
            var a = NpyFile.Read(Path.Combine(Dir(batch), file));
            return a.DType.Contains("i8") ? tensor(a.ToInt64(), a.Shape) : tensor(a.ToFloat32(), a.Shape);
        }
        return new ContrastiveBatch(modality, Load("text_inputs.npy"), Load("text_masks.npy"), Load("music_inputs.npy"), Load("music_masks.npy"));
    }

    public static float[] ToArray(Tensor t) => t.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>Worst |a − e| and the failures of |a − e| ≤ atol + rtol·|e|.</summary>
    public sealed class Comparison
    {
        public double Worst { get; private set; }
        public string WorstWhere { get; private set; } = "-";
        public int Compared { get; private set; }
        private readonly List<string> _failures = new();

        public void Add(string where, float[] expected, float[] actual, double atol, double rtol, Func<int, bool>? skip = null)
        {
            if (expected.Length != actual.Length) { _failures.Add($"{where}: {actual.Length} values, expected {expected.Length}"); return; }
            for (int i = 0; i < expected.Length; i++)
            {
                if (skip is not null && skip(i)) continue;
                Compared++;
                double diff = Math.Abs((double)actual[i] - expected[i]);
                if (double.IsNaN(diff)) diff = double.PositiveInfinity;
                if (diff > Worst || WorstWhere == "-") { Worst = diff; WorstWhere = $"{where}[{i}]"; }
                if (!(diff <= atol + rtol * Math.Abs(expected[i])) && _failures.Count < 10)
                    _failures.Add($"{where}[{i}]: {actual[i]:R} vs {expected[i]:R} (|diff| {diff:E2}, allowed {atol + rtol * Math.Abs(expected[i]):E2})");
            }
        }

        public void Fail(string message) => _failures.Add(message);

        public void AssertPassed(string what)
        {
            var summary = $"{what}: {Compared} values, worst |diff| {Worst:E2} at {WorstWhere}";
            Console.WriteLine(summary);
            Assert.AreEqual(0, _failures.Count, summary + "\n" + string.Join("\n", _failures));
        }
    }

    public static bool IsKeyBias(string name) => name.EndsWith(".attention.self.key.bias", StringComparison.Ordinal);

    public static StateDict Safetensor(string batch, string file) => Safetensors.Read(Path.Combine(Dir(batch), file));
}
