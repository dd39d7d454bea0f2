using System.CommandLine;
using System.Diagnostics;
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
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads (0: libtorch's default).", DefaultValueFactory = _ => 0 };
        var command = new Command("model", "CLaMP 3 encoders at official sizes with random weights: items/s and GFLOP/s vs the matmul rate.")
        {
            seconds, batch, device, bf16, threads,
        };
        command.SetAction(parse => Run(parse.GetValue(seconds), parse.GetValue(batch), parse.GetValue(device)!, parse.GetValue(bf16), parse.GetValue(threads)));
        return command;
    }

    private static int Run(double seconds, int largeBatch, string deviceName, bool bf16, int threads)
    {
        if (threads > 0) torch.set_num_threads(threads);
        var device = ClaMP3.ML.Inference.Clamp3ModelLoader.ParseDevice(deviceName);
        var config = Clamp3Config.Official();
        Console.WriteLine($"device {device}, {torch.get_num_threads()} threads; official sizes, random weights; text {config.MaxTextLength} tokens, scores {config.PatchLength} patches of {config.PatchSize}, audio {config.MaxAudioLength} rows");

        using var noGrad = torch.no_grad();
        var matmulF32 = MatmulRate(ScalarType.Float32, device, seconds);
        Console.WriteLine($"matmul fp32 (1024³): {matmulF32:F1} GFLOP/s");
        double? matmulBf16 = bf16 ? MatmulRate(ScalarType.BFloat16, device, seconds) : null;
        if (matmulBf16 is double m) Console.WriteLine($"matmul bf16 (1024³): {m:F1} GFLOP/s ({m / matmulF32:F2}× fp32)");

        torch.manual_seed(1);
        ComparePatchEmbedding(config, device);
        using var model = new Clamp3Model(config);
        model.eval();
        model.to(device);
        var precisions = bf16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : new[] { ScalarType.Float32 };
        Console.WriteLine();
        // The matmul rate is measured again just before each case, so a machine shared with other work still gives
        // a fair ratio (the load can change during a run).
        Console.WriteLine($"{"precision",-9} {"encoder",-9} {"batch",5} {"items/s",9} {"ms/item",9} {"GFLOP/item",10} {"GFLOP/s",8} {"matmul now",10} {"ratio",6}");
        foreach (var precision in precisions)
        {
            if (precision != ScalarType.Float32) model.to(precision);
            foreach (var modality in new[] { Modality.Text, Modality.Symbolic, Modality.Audio })
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

    /// <summary>The official one-hot × Linear patch embedding against the port's embedding_bag on one 512-patch item,
    /// and against a new EmbeddingBag module per call (what the port did before: TorchSharp's constructor allocates and
    /// randomly fills a throw-away weight of the table's size first).</summary>
    private static void ComparePatchEmbedding(Clamp3Config config, Device device)
    {
        using var scope = NewDisposeScope();
        using var encoder = new M3PatchEncoder(config.Symbolic with { NumHiddenLayers = 1 }, config.PatchSize);
        encoder.to(device);
        var patches = randint(0, Clamp3Config.PatchVocabSize, new long[] { 1, config.PatchLength, config.PatchSize }, dtype: ScalarType.Int64).to(device);
        var linear = encoder.PatchEmbedding;
        Tensor OneHot()
        {
            var oneHot = nn.functional.one_hot(patches, Clamp3Config.PatchVocabSize).reshape(1, config.PatchLength, (long)config.PatchSize * Clamp3Config.PatchVocabSize).to(ScalarType.Float32);
            return linear.forward(oneHot);
        }
        Tensor Gather() => encoder.EmbedPatches(patches);
        Tensor NewModulePerCall()
        {
            var offsets = KeptScalarOps.Arange(0, (long)config.PatchSize * Clamp3Config.PatchVocabSize, Clamp3Config.PatchVocabSize, device);
            var columns = patches.reshape(-1, config.PatchSize).Plus(offsets);
            using var bag = nn.EmbeddingBag_from_pretrained(linear.weight!.t().contiguous(), freeze: true, mode: EmbeddingBagMode.Sum);
            return bag.forward(columns, null, null).Plus(linear.bias!).reshape(1, config.PatchLength, -1);
        }
        double Time(Func<Tensor> f)
        {
            f().cpu();
            var clock = Stopwatch.StartNew();
            int passes = 0;
            do { using var inner = NewDisposeScope(); f().cpu(); passes++; } while (clock.Elapsed.TotalSeconds < 0.5);
            return clock.Elapsed.TotalMilliseconds / passes;
        }
        double oneHotMs = Time(OneHot), perCallMs = Time(NewModulePerCall), gatherMs = Time(Gather);
        double maxDiff = OneHot().Minus(Gather()).abs().max().item<float>();
        double trainingMs;
        using (enable_grad()) trainingMs = Time(Gather); // the same embedding_bag, recording the graph to the weight
        Console.WriteLine($"patch embedding of {config.PatchLength} patches: official one-hot × Linear {oneHotMs:F1} ms; new EmbeddingBag per call {perCallMs:F1} ms; " +
                          $"reused embedding_bag {gatherMs:F1} ms ({perCallMs / gatherMs:F1}× the per-call module, {oneHotMs / gatherMs:F1}× one-hot), max |diff| {maxDiff:E1}; with grad {trainingMs:F1} ms");
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
