using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML;
using ClaMP3.ML.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.Cli.Bench;

/// <summary>
/// <c>clamp3 bench model</c>: the three CLaMP 3 encoders at the official sizes with random weights (XLM-R base,
/// M3 768/12 with 512 patches of 64, audio 768/12 with 128 rows), global features, at batch 1 and a larger batch;
/// items/s and achieved GFLOP/s next to this machine's fp32 (and optionally bf16) matmul rate measured in the same run.
/// </summary>
public sealed class ModelBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Minimum measuring time per case (after one warm-up pass).", DefaultValueFactory = _ => 1.0 };
        var batch = new Option<int>("--batch") { Description = "The larger batch size measured beside batch 1.", DefaultValueFactory = _ => 8 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var bf16 = new Option<bool>("--bf16") { Description = "Also measure the model in bfloat16 (and the bf16 matmul rate)." };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads of libtorch or ONNX Runtime (0: the engine's default).", DefaultValueFactory = _ => 0 };
        var engine = new Option<string>("--engine") { Description = "torch (TorchSharp, default) or onnx (ONNX Runtime; run engines in separate processes to compare).", DefaultValueFactory = _ => "torch" };
        var int8 = new Option<bool>("--int8") { Description = "With --engine onnx: also measure the dynamically quantized int8 models." };
        var encoders = new Option<string>("--encoders") { Description = "Which encoders: all, or a comma list of text, symbolic, audio.", DefaultValueFactory = _ => "all" };
        var patchLengths = new Option<string>("--patch-lengths") { Description = "Symbolic item lengths (patches) at which the whole symbolic encoder is timed at batch 1 with the reused patch embedding against a new EmbeddingBag per call (the port before issue 15); none to skip.", DefaultValueFactory = _ => "512,128,32" };
        var command = new Command("model", "CLaMP 3 encoders at official sizes with random weights: items/s and GFLOP/s vs the matmul rate.")
        {
            seconds, batch, device, bf16, threads, engine, int8, encoders, patchLengths,
        };
        // Usage errors are one line on the invocation's error writer, exit 2 (CliErrors).
        command.SetGuardedAction((parse, _, _) => parse.GetValue(engine) switch
        {
            _ when Encoders(parse.GetValue(encoders)!) is null => Usage($"--encoders '{parse.GetValue(encoders)}': use all or a comma list of text, symbolic, audio"),
            _ when PatchLengths(parse.GetValue(patchLengths)!) is null => Usage($"--patch-lengths '{parse.GetValue(patchLengths)}': use none or a comma list of positive patch counts"),
            "onnx" => OnnxBenchmarks.RunModel(parse.GetValue(seconds), parse.GetValue(batch), parse.GetValue(threads), parse.GetValue(int8), Encoders(parse.GetValue(encoders)!)!),
            "torch" when !parse.GetValue(int8) => Run(parse.GetValue(seconds), parse.GetValue(batch), parse.GetValue(device)!, parse.GetValue(bf16), parse.GetValue(threads), Encoders(parse.GetValue(encoders)!)!, PatchLengths(parse.GetValue(patchLengths)!)!),
            "torch" => Usage("--int8 needs --engine onnx"),
            var other => Usage($"unknown engine '{other}' (torch or onnx)"),
        });
        return command;
    }

    private static int Usage(string message) => throw new UsageException(message + ".");

    /// <summary>The encoders named by <c>--encoders</c> (null when a name is unknown).</summary>
    internal static Modality[]? Encoders(string list)
    {
        if (list.Trim() == "all") return new[] { Modality.Text, Modality.Symbolic, Modality.Audio };
        var result = new List<Modality>();
        foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (name is not ("text" or "symbolic" or "audio")) return null;
            result.Add(name == "text" ? Modality.Text : name == "symbolic" ? Modality.Symbolic : Modality.Audio);
        }
        return result.Count > 0 ? result.ToArray() : null;
    }

    /// <summary>The lengths named by <c>--patch-lengths</c> (empty for none, null when one is not a positive integer).</summary>
    internal static int[]? PatchLengths(string list)
    {
        if (list.Trim() == "none") return Array.Empty<int>();
        var parts = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var lengths = parts.Select(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 0).ToArray();
        return lengths.Length > 0 && lengths.All(n => n > 0) ? lengths : null;
    }

    private static int Run(double seconds, int largeBatch, string deviceName, bool bf16, int threads, Modality[] encoders, int[] patchLengths)
    {
        if (threads > 0) torch.set_num_threads(threads);
        var device = ClaMP3.ML.Inference.TorchDevice.Parse(deviceName);
        var config = Clamp3Config.Official();
        Console.WriteLine($"engine torch, device {device}, {torch.get_num_threads()} threads; CPU: {ClaMP3.ML.Onnx.CpuFeatures.Summary()}; official sizes, random weights; text {config.MaxTextLength} tokens, scores {config.PatchLength} patches of {config.PatchSize}, audio {config.MaxAudioLength} rows");

        using var noGrad = torch.no_grad();
        var matmulF32 = MatmulRate(ScalarType.Float32, device, seconds);
        Console.WriteLine($"matmul fp32 (1024³): {matmulF32:F1} GFLOP/s");
        double? matmulBf16 = bf16 ? MatmulRate(ScalarType.BFloat16, device, seconds) : null;
        if (matmulBf16 is double m) Console.WriteLine($"matmul bf16 (1024³): {m:F1} GFLOP/s ({m / matmulF32:F2}× fp32)");

        torch.manual_seed(1);
        if (encoders.Contains(Modality.Symbolic)) PatchEmbeddingComparison.EmbeddingOnly(config, device);
        using var model = new Clamp3Model(config);
        model.eval();
        model.to(device);
        if (encoders.Contains(Modality.Symbolic) && patchLengths.Length > 0)
            PatchEmbeddingComparison.WholeEncoder(model, device, patchLengths, seconds);
        var precisions = bf16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : new[] { ScalarType.Float32 };
        Console.WriteLine();
        // The matmul rate is measured again just before each case, so a machine shared with other work still gives
        // a fair ratio (the load can change during a run).
        Console.WriteLine($"{"precision",-9} {"encoder",-9} {"batch",5} {"items/s",9} {"ms/item",9} {"GFLOP/item",10} {"GFLOP/s",8} {"matmul now",10} {"ratio",6}");
        foreach (var precision in precisions)
        {
            if (precision != ScalarType.Float32) model.to(precision);
            foreach (var modality in encoders)
            {
                foreach (var batch in new[] { 1, largeBatch }.Distinct())
                {
                    double reference = MatmulRate(precision, device, 0.3);
                    var (itemsPerSecond, flopsPerItem) = Measure(model, config, modality, batch, precision, device, seconds);
                    double gflops = itemsPerSecond * flopsPerItem / 1e9;
                    Console.WriteLine($"{(precision == ScalarType.Float32 ? "fp32" : "bf16"),-9} {modality.ToString().ToLowerInvariant(),-9} {batch,5} {itemsPerSecond,9:F2} {1000 / itemsPerSecond,9:F1} {flopsPerItem / 1e9,10:F2} {gflops,8:F1} {reference,10:F1} {gflops / reference,6:P0}");
                }
            }
        }
        return 0;
    }

    /// <summary>Multiply-adds ×2 of one item's forward pass: every Linear, the attention products, and the projection.</summary>
    internal static double FlopsPerItem(Clamp3Config config, Modality modality)
    {
        var (encoder, length) = modality switch
        {
            Modality.Text => (config.Text, config.MaxTextLength),
            Modality.Symbolic => (config.Symbolic, config.PatchLength),
            _ => (config.Audio, config.MaxAudioLength),
        };
        double h = encoder.HiddenSize, l = length, i = encoder.IntermediateSize;
        double perLayer = 2 * l * (4 * h * h + 2 * h * i) + 2 * 2 * l * l * h;
        // The patch embedding is gathers and adds (patch_size adds of H per patch), counted as such.
        double patchEmbedding = modality == Modality.Symbolic ? l * config.PatchSize * h : 0;
        return encoder.NumHiddenLayers * perLayer + patchEmbedding + 2 * h * config.Clamp3HiddenSize;
    }

    private static (double ItemsPerSecond, double FlopsPerItem) Measure(Clamp3Model model, Clamp3Config config, Modality modality, int batch,
        ScalarType precision, Device device, double seconds)
    {
        using var scope = NewDisposeScope();
        Tensor inputs;
        int length;
        switch (modality)
        {
            case Modality.Text:
                length = config.MaxTextLength;
                inputs = randint(4, config.Text.VocabSize, new long[] { batch, length }, dtype: ScalarType.Int64).to(device);
                break;
            case Modality.Symbolic:
                length = config.PatchLength;
                inputs = randint(0, Clamp3Config.PatchVocabSize, new long[] { batch, length, config.PatchSize }, dtype: ScalarType.Int64).to(device);
                break;
            default:
                length = config.MaxAudioLength;
                inputs = randn(new long[] { batch, length, config.AudioFeatureDim }).to(device).to(precision);
                break;
        }
        var mask = ones(batch, length).to(device);
        void Once()
        {
            using var inner = NewDisposeScope();
            var output = model.GetMusicFeatures(modality, inputs, mask, global: true);
            output.cpu(); // forces completion on CUDA
        }
        Once(); // warm-up
        var clock = Stopwatch.StartNew();
        int passes = 0;
        do { Once(); passes++; } while (clock.Elapsed.TotalSeconds < seconds);
        return (passes * batch / clock.Elapsed.TotalSeconds, FlopsPerItem(config, modality));
    }

    /// <summary>Achieved GFLOP/s of a 1024×1024 by 1024×1024 matmul, repeated for about <paramref name="seconds"/>.</summary>
    internal static double MatmulRate(ScalarType type, Device device, double seconds)
    {
        using var scope = NewDisposeScope();
        const int n = 1024;
        var a = randn(n, n).to(device).to(type);
        var b = randn(n, n).to(device).to(type);
        a.matmul(b).cpu(); // warm-up
        var clock = Stopwatch.StartNew();
        int passes = 0;
        do
        {
            using var inner = NewDisposeScope();
            a.matmul(b).cpu();
            passes++;
        } while (clock.Elapsed.TotalSeconds < seconds);
        return passes * 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9;
    }
}
