using ClaMP3.ML;
using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Preprocessing.Audio;
using Microsoft.ML.OnnxRuntime;

namespace ClaMP3.Cli.Bench;

/// <summary>The ONNX Runtime side of <c>clamp3 bench model|mert --engine onnx</c>: models exported from random weights
/// at the official sizes into a temporary folder, timed in this process only (no libtorch is loaded), next to the
/// MatMul rate of ORT itself in the same session options.</summary>
internal static class OnnxBenchmarks
{
    private const int ReferenceSize = 1024;

    /// <summary>Random weights of realistic scale for the given names and shapes (LayerNorm weights 1, biases 0).</summary>
    internal static Dictionary<string, CheckpointTensor> RandomWeights(IEnumerable<(string Name, long[] Shape)> tensors, int seed)
    {
        var random = new Random(seed);
        var result = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in tensors)
        {
            var values = new float[CheckpointTensorCount(shape)];
            bool norm = name.Contains("LayerNorm.weight", StringComparison.Ordinal) || name.EndsWith("layer_norm.weight", StringComparison.Ordinal) || name.EndsWith("weight_g", StringComparison.Ordinal);
            if (norm) Array.Fill(values, 1f);
            else if (!name.EndsWith(".bias", StringComparison.Ordinal))
                for (long i = 0; i < values.LongLength; i++) values[i] = (float)((random.NextDouble() - 0.5) * 0.07); // std 0.02
            result[name] = CheckpointTensor.FromFloat32(values, shape);
        }
        return result;
    }

    private static long CheckpointTensorCount(long[] shape) => shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>GFLOP per wall second and per CPU second of an [n, n] × [n, n] product in ORT (fp32 MatMul or the int8
    /// form), over about <paramref name="seconds"/>.</summary>
    internal static (double Wall, double Cpu) MatmulRate(string folder, OnnxPrecision precision, int threads, double seconds)
    {
        var path = Path.Combine(folder, $"matmul-{precision}.onnx");
        if (!File.Exists(path)) OnnxMatmulReference.Write(path, ReferenceSize, precision);
        using var session = OnnxSessions.Create(path, threads, false);
        var x = new float[ReferenceSize * ReferenceSize];
        var random = new Random(1);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() - 0.5);
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { ReferenceSize, ReferenceSize });
        var (wall, cpu) = Time(() => { using var o = session.Run(new RunOptions(), new[] { "x" }, new[] { input }, new[] { "y" }); }, seconds);
        double gflop = 2.0 * ReferenceSize * ReferenceSize * ReferenceSize / 1e9;
        return (gflop / wall, gflop / cpu);
    }

    /// <summary>Wall and process-CPU seconds per call: one warm-up, then calls until <paramref name="seconds"/> have
    /// passed. On a shared, oversubscribed machine wall time includes waiting for a core; CPU time does not (ORT's
    /// threads do not spin here, so CPU time is work).</summary>
    internal static (double Wall, double Cpu) Time(Action once, double seconds)
    {
        once();
        int passes = 0;
        var (wall, cpu) = BenchClock.Measure(() =>
        {
            var clock = Stopwatch.StartNew();
            do { once(); passes++; } while (clock.Elapsed.TotalSeconds < seconds);
        });
        return (wall / passes, cpu / passes);
    }

    public static int RunModel(double seconds, int largeBatch, int threads, bool int8, Modality[] encoders)
    {
        var config = Clamp3Config.Official();
        using var scratch = new ScratchFolder("onnx");
        string folder = scratch.Path;
        Console.WriteLine($"engine onnx (ONNX Runtime {OrtEnv.Instance().GetVersionString()}), {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "default")} threads, spinning off; CPU: {CpuFeatures.Summary()}");
        Console.WriteLine($"official sizes, random weights; text {config.MaxTextLength} tokens, scores {config.PatchLength} patches of {config.PatchSize}, audio {config.MaxAudioLength} rows");
        var precisions = int8 ? new[] { OnnxPrecision.Float32, OnnxPrecision.Int8 } : new[] { OnnxPrecision.Float32 };
        Console.WriteLine();
        // The last two columns use process CPU time instead of wall time (GFLOP per CPU second, and its ratio to the
        // matmul's): on a machine shared with other work they stay meaningful when the wall-clock ones do not.
        Console.WriteLine($"{"precision",-9} {"encoder",-9} {"batch",5} {"items/s",9} {"ms/item",9} {"GFLOP/item",10} {"GFLOP/s",8} {"matmul now",10} {"ratio",6} {"GFLOP/cpu-s",11} {"cpu ratio",9}");
        var all = config.ExpectedTensors();
        foreach (var modality in encoders)
        {
            var prefixes = modality switch
            {
                Modality.Text => new[] { "text_model.", "text_proj." },
                Modality.Symbolic => new[] { "symbolic_model.", "symbolic_proj." },
                _ => new[] { "audio_model.", "audio_proj." },
            };
            var weights = RandomWeights(all.Where(t => prefixes.Any(p => t.Name.StartsWith(p, StringComparison.Ordinal))).Select(t => (t.Name, t.Shape)), 7);
            foreach (var precision in precisions)
            {
                var path = Path.Combine(folder, $"{modality}-{precision}.onnx");
                Clamp3OnnxExporter.ExportModel(config, weights, modality, precision, path);
                using var session = OnnxSessions.Create(path, threads, false);
                foreach (var batch in new[] { 1, largeBatch }.Distinct())
                {
                    var reference = MatmulRate(folder, OnnxPrecision.Float32, threads, 0.3);
                    var (wall, cpu) = MeasureClamp3(session, config, modality, batch, seconds);
                    double itemsPerSecond = batch / wall, flops = ModelBenchmark.FlopsPerItem(config, modality), gflops = itemsPerSecond * flops / 1e9;
                    double cpuGflops = batch * flops / cpu / 1e9;
                    Console.WriteLine($"{(precision == OnnxPrecision.Int8 ? "int8" : "fp32"),-9} {modality.ToString().ToLowerInvariant(),-9} {batch,5} {itemsPerSecond,9:F2} {1000 / itemsPerSecond,9:F1} {flops / 1e9,10:F2} {gflops,8:F1} {reference.Wall,10:F1} {gflops / reference.Wall,6:P0} {cpuGflops,11:F1} {cpuGflops / reference.Cpu,9:P0}");
                }
                File.Delete(path);
            }
        }
        if (int8) Console.WriteLine($"int8 matmul reference ({ReferenceSize}³, dynamic quantization): {MatmulRate(folder, OnnxPrecision.Int8, threads, 0.5).Wall:F1} GFLOP/s; int8 rows' ratios are against the fp32 matmul rate");
        return 0;
    }

    private static (double Wall, double Cpu) MeasureClamp3(InferenceSession session, Clamp3Config config, Modality modality, int batch, double seconds)
    {
        var random = new Random(11);
        int length = modality switch { Modality.Text => config.MaxTextLength, Modality.Symbolic => config.PatchLength, _ => config.MaxAudioLength };
        var mask = new float[batch * length];
        Array.Fill(mask, 1f);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, new long[] { batch, length });
        OrtValue input;
        string name;
        switch (modality)
        {
            case Modality.Text:
                input = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, batch * length).Select(_ => (long)random.Next(4, config.Text.VocabSize)).ToArray(), new long[] { batch, length });
                name = "input_ids";
                break;
            case Modality.Symbolic:
                input = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, batch * length * config.PatchSize).Select(_ => (long)random.Next(0, Clamp3Config.PatchVocabSize)).ToArray(), new long[] { batch, length, config.PatchSize });
                name = "patches";
                break;
            default:
                input = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, batch * length * config.AudioFeatureDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), new long[] { batch, length, config.AudioFeatureDim });
                name = "features";
                break;
        }
        using (input)
            return Time(() => { using var o = session.Run(new RunOptions(), new[] { name, "attention_mask" }, new[] { input, maskValue }, new[] { "global" }); }, seconds);
    }

    public static int RunMert(double audioSeconds, int batchWindows, int threads, bool int8)
    {
        var config = new MertConfig();
        const int sampleRate = MertAudioPreprocessor.TargetSampleRate, windowSamples = MertAudioPreprocessor.WindowSamples;
        using var scratch = new ScratchFolder("onnx");
        string folder = scratch.Path;
        Console.WriteLine($"MERT bench, engine onnx (ONNX Runtime {OrtEnv.Instance().GetVersionString()}): {config}");
        Console.WriteLine($"audio {audioSeconds:0.#} s at 24 kHz, windows batched by {batchWindows}, {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "default")} threads; CPU: {CpuFeatures.Summary()}");
        var (matmul, matmulCpu) = MatmulRate(folder, OnnxPrecision.Float32, threads, 0.5);
        Console.WriteLine($"fp32 matmul ({ReferenceSize}³ in ORT): {matmul:0.0} GFLOP/s, {matmulCpu:0.0} GFLOP per CPU s");
        var weights = RandomWeights(MertOnnxExporter.ExpectedTensors(config), 1234);
        long total = (long)Math.Round(audioSeconds * sampleRate);
        int windows = (int)(total / windowSamples);
        if (windows < 1) throw new ArgumentException("--seconds must cover at least one 5 s window.");
        double flops = windows * ClaMP3.ML.Inference.MertCost.WindowFlops(config, windowSamples);
        var random = new Random(7);
        var samples = new float[(long)batchWindows * windowSamples];
        for (long i = 0; i < samples.LongLength; i++) samples[i] = (float)(random.NextDouble() * 2 - 1);
        foreach (var precision in int8 ? new[] { OnnxPrecision.Float32, OnnxPrecision.Int8 } : new[] { OnnxPrecision.Float32 })
        {
            var path = Path.Combine(folder, $"mert-{precision}.onnx");
            MertOnnxExporter.ExportModel(config, weights, precision, path);
            using var session = OnnxSessions.Create(path, threads, false);
            void Pass(int count)
            {
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, samples.AsMemory(0, count * windowSamples), new long[] { count, windowSamples });
                using var o = session.Run(new RunOptions(), new[] { "waveform" }, new[] { input }, new[] { "hidden_state_means" });
            }
            Pass(1); // warm-up
            var (wall, cpu) = BenchClock.Measure(() =>
            {
                for (int done = 0; done < windows;) { int n = Math.Min(batchWindows, windows - done); Pass(n); done += n; }
            });
            double achieved = flops / wall / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(precision == OnnxPrecision.Int8 ? "int8" : "fp32")}: {windows} windows in {wall:0.00} s, real-time factor {windows * 5.0 / wall:0.00}x, {achieved:0.0} GFLOP/s = {achieved / matmul:P0} of the matmul rate; " +
                $"{windows * 5.0 / cpu:0.00} audio s per CPU s, {flops / cpu / 1e9:0.0} GFLOP per CPU s = {flops / cpu / 1e9 / matmulCpu:P0} of the matmul's"));
        }
        return 0;
    }
}
