using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Preprocessing.Audio;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench mert</c>: MERT-v1-95M-sized network with random weights on synthetic audio; real-time
/// factor, achieved GFLOP/s next to the machine's fp32 matmul rate, and the feature-encoder convolutions timed alone
/// (our channels-last GEMM against libtorch's conv1d).</summary>
public sealed class MertBenchCommand : IBenchmarkCommand
{
    public Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Length of the synthetic audio in seconds.", DefaultValueFactory = _ => 60 };
        var batch = new Option<int>("--batch") { Description = "Windows per forward pass.", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = libtorch default).", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var skipConv = new Option<bool>("--skip-conv") { Description = "Skip the separate convolution timings." };
        var engine = new Option<string>("--engine") { Description = "torch (TorchSharp, default) or onnx (ONNX Runtime; run engines in separate processes to compare).", DefaultValueFactory = _ => "torch" };
        var int8 = new Option<bool>("--int8") { Description = "With --engine onnx: also measure the int8 model." };
        var command = new Command("mert", "MERT-v1-95M size, random weights: real-time factor, GFLOP/s vs matmul peak, conv front end timings.")
        {
            seconds, batch, threads, device, skipConv, engine, int8,
        };
        command.SetAction(r => r.GetValue(engine) == "onnx"
            ? OnnxBenchmarks.RunMert(r.GetValue(seconds), r.GetValue(batch), r.GetValue(threads), r.GetValue(int8))
            : Run(r.GetValue(seconds), r.GetValue(batch), r.GetValue(threads), r.GetValue(device)!, r.GetValue(skipConv)));
        return command;
    }

    private static int Run(double seconds, int batchWindows, int threads, string deviceName, bool skipConv)
    {
        if (threads > 0) torch.set_num_threads(threads);
        var config = new MertConfig(); // MERT-v1-95M defaults
        const int sampleRate = MertAudioPreprocessor.TargetSampleRate, windowSamples = MertAudioPreprocessor.WindowSamples;
        var device = TorchDevice.Parse(deviceName);
        bool cuda = device.type == DeviceType.CUDA;
        Console.WriteLine($"MERT bench: {config}");
        Console.WriteLine($"audio {seconds:0.#} s at 24 kHz, windows batched by {batchWindows}, engine torch, device {deviceName}, threads {torch.get_num_threads()}; CPU: {ClaMP3.ML.Onnx.CpuFeatures.Summary()}");

        double matmulRate = MatmulGflops(device);
        Console.WriteLine($"fp32 matmul (2048x768 @ 768x3072): {matmulRate:0.0} GFLOP/s");

        using var model = new MusicHubertModel(config);
        model.InitializeRandom(seed: 1234);
        using var extractor = new MertExtractor(new TorchMertEngine(model, deviceName, ownsModel: false)) { MaxBatchWindows = batchWindows };

        long total = (long)Math.Round(seconds * sampleRate);
        var samples = new float[total];
        var rng = new Random(7);
        for (long i = 0; i < total; i++) samples[i] = (float)(rng.NextDouble() * 2 - 1);
        // extract_mert.py's windows: 5 s, no overlap, the last kept only if ≥ 1 s.
        var windows = new List<ArraySegment<float>>();
        for (long i = 0; i < total; i += windowSamples)
            windows.Add(new ArraySegment<float>(samples, (int)i, (int)Math.Min(windowSamples, total - i)));
        if (windows.Count > 1 && windows[^1].Count < MertAudioPreprocessor.MinLastWindowSamples) windows.RemoveAt(windows.Count - 1);
        double flops = windows.Sum(w => MertCost.WindowFlops(config, w.Count));

        // Warm-up: one window (first-call allocations, kernel selection).
        extractor.ExtractFromWindows(new[] { new ArraySegment<float>(samples, 0, Math.Min(windowSamples, (int)total)) });
        FeatureMatrix features = null!;
        var (wall, cpuSeconds) = BenchClock.Measure(() =>
        {
            features = extractor.ExtractFromWindows(windows);
            if (cuda) torch.cuda.synchronize();
        });
        double achieved = flops / wall / 1e9;
        Console.WriteLine($"extract: {windows.Count} windows -> ({features.Rows}, {features.Columns}) in {wall:0.00} s");
        Console.WriteLine($"  real-time factor {seconds / wall:0.00}x (audio s per wall s)");
        Console.WriteLine($"  {flops / 1e9:0.0} GFLOP -> {achieved:0.0} GFLOP/s = {achieved / matmulRate:P0} of the matmul rate");
        // On a shared machine wall time includes waiting for a core; CPU time shows what the work itself costs.
        Console.WriteLine($"  process CPU time {cpuSeconds:0.0} s ({cpuSeconds / wall:0.00} cores busy): {seconds / cpuSeconds:0.00} audio s per CPU s, " +
                          $"{flops / cpuSeconds / 1e9:0.0} GFLOP per CPU s");

        StageTimings(model, Math.Min(batchWindows, windows.Count), windowSamples, device);
        if (!skipConv) ConvTimings(config, model, Math.Min(batchWindows, windows.Count), windowSamples, device, wall / windows.Count);
        return 0;
    }

    /// <summary>Wall time of each stage of one forward pass over a batch of full windows.</summary>
    private static void StageTimings(MusicHubertModel model, int batch, int windowSamples, Device device)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = randn(batch, windowSamples, device: device);
        Tensor features = null!, projected = null!;
        double fe = TimeBest(() => { features?.Dispose(); features = model.feature_extractor.call(x); }, device);
        double proj = TimeBest(() => { projected?.Dispose(); projected = model.feature_projection.call(features); }, device);
        double pos = TimeBest(() => model.encoder.pos_conv_embed.call(projected).Dispose(), device);
        double layer = TimeBest(() => model.encoder.layers[0].call(projected).Dispose(), device);
        int n = model.encoder.layers.Count;
        double sum = fe + proj + pos + n * layer;
        Console.WriteLine($"stages per batch of {batch} (best of 3): feature encoder {fe * 1e3:0} ms ({fe / sum:P0}), projection {proj * 1e3:0} ms, " +
                          $"pos conv {pos * 1e3:0} ms ({pos / sum:P0}), {n} encoder layers {n * layer * 1e3:0} ms ({n * layer / sum:P0})");
    }

    /// <summary>Best of several runs of a large fp32 GEMM, the same shape class as MERT's feed-forward.</summary>
    private static double MatmulGflops(Device device)
    {
        using var scope = NewDisposeScope();
        var a = randn(2048, 768, device: device);
        var b = randn(768, 3072, device: device);
        double flops = 2.0 * 2048 * 768 * 3072, best = 0;
        a.matmul(b).Dispose();
        for (int i = 0; i < 8; i++)
        {
            var sw = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>Each conv layer of the feature encoder alone on a batch of full windows: GEMM vs libtorch conv1d.</summary>
    private static void ConvTimings(MertConfig config, MusicHubertModel model, int batch, int windowSamples, Device device, double perWindowWall)
    {
        Console.WriteLine($"feature encoder convolutions, batch of {batch} x {windowSamples} samples (conv op only, best of 3):");
        Console.WriteLine("  layer  in->out  k/s   frames    GFLOP   gemm ms  GFLOP/s   conv1d ms  GFLOP/s   speed-up");
        var layerFlops = MertCost.ConvLayerFlops(config, windowSamples);
        long time = windowSamples;
        double gemmTotal = 0, nativeTotal = 0;
        using var noGrad = no_grad();
        for (int i = 0; i < config.NumFeatExtractLayers; i++)
        {
            var conv = model.feature_extractor.conv_layers[i].conv;
            long outTime = (time - conv.Kernel) / conv.Stride + 1;
            using var scope = NewDisposeScope();
            var x = randn(batch, time, conv.InChannels, device: device);
            conv.Algorithm = MertConvAlgorithm.Gemm;
            double gemm = TimeBest(() => conv.call(x).Dispose(), device);
            conv.Algorithm = MertConvAlgorithm.Conv1d;
            double native = TimeBest(() => conv.call(x).Dispose(), device);
            conv.Algorithm = MertConvAlgorithm.Auto;
            double gf = layerFlops[i] * batch / 1e9;
            gemmTotal += gemm;
            nativeTotal += native;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {i,5}  {conv.InChannels,3}->{conv.OutChannels,-4} {conv.Kernel,2}/{conv.Stride,-2} {outTime,7}  {gf,7:0.00}  {gemm * 1e3,8:0.0}  {gf / gemm,7:0.0}   {native * 1e3,9:0.0}  {gf / native,7:0.0}   {native / gemm,6:0.00}x"));
            time = outTime;
        }
        // Layer 0 as a whole (conv → GroupNorm → GELU): ours folds the norm into the GEMM; a plain port runs
        // conv1d, group_norm and GELU channels-first and transposes for the next layer.
        var first = model.feature_extractor.conv_layers[0];
        if (first.Norm == MertFeatureEncoderLayer.NormKind.Group)
        {
            using var scope = NewDisposeScope();
            var samples = randn(batch, windowSamples, device: device);
            var channelsLast = samples.unsqueeze(-1);
            var norm = (TorchSharp.Modules.GroupNorm)first.layer_norm!;
            double folded = TimeBest(() => first.call(channelsLast).Dispose(), device);
            double plain = TimeBest(() =>
            {
                using var s = NewDisposeScope();
                var y = nn.functional.conv1d(samples.unsqueeze(1), first.conv.weight, first.conv.bias, stride: first.conv.Stride);
                y = nn.functional.group_norm(y, y.shape[1], norm.weight, norm.bias, 1e-5);
                nn.functional.gelu(y).transpose(1, 2).contiguous();
            }, device);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  layer 0 with GroupNorm and GELU: folded GEMM {folded * 1e3:0} ms vs conv1d + group_norm + gelu {plain * 1e3:0} ms ({plain / folded:0.00}x)"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  all convs: gemm {gemmTotal * 1e3:0} ms vs conv1d {nativeTotal * 1e3:0} ms ({nativeTotal / gemmTotal:0.00}x); " +
            $"gemm convs are {gemmTotal / batch / perWindowWall:P0} of the measured per-window extraction time"));
    }

    private static double TimeBest(Action action, Device device)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
