using System.Diagnostics;
using ClaMP3.ML.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.Cli.Bench;

/// <summary>
/// The symbolic patch embedding three ways, for <c>clamp3 bench model</c>: the official one-hot × Linear, the port's
/// reused <c>embedding_bag</c>, and a new <c>EmbeddingBag</c> module per call. The last is what the port did before
/// issue 15 (TorchSharp's constructor allocates and randomly fills a throw-away weight of the table's size first); it is
/// kept here only as the "before" of a before/after measured in one run.
/// </summary>
internal static class PatchEmbeddingComparison
{
    /// <summary>The embedding alone on one item of the official length.</summary>
    public static void EmbeddingOnly(Clamp3Config config, Device device)
    {
        using var scope = NewDisposeScope();
        using var encoder = new M3PatchEncoder(config.Symbolic with { NumHiddenLayers = 1 }, config.PatchSize);
        encoder.to(device);
        var patches = RandomPatches(config.PatchLength, config.PatchSize, device);
        var linear = encoder.PatchEmbedding;
        Tensor OneHot()
        {
            var oneHot = nn.functional.one_hot(patches, Clamp3Config.PatchVocabSize).reshape(1, config.PatchLength, (long)config.PatchSize * Clamp3Config.PatchVocabSize).to(ScalarType.Float32);
            return linear.call(oneHot);
        }
        Tensor Gather() => encoder.EmbedPatches(patches);
        Tensor NewModulePerCall() => PerCallEmbedding(linear, patches);
        double oneHotMs = Milliseconds(OneHot, 0.5), perCallMs = Milliseconds(NewModulePerCall, 0.5), gatherMs = Milliseconds(Gather, 0.5);
        double maxDiff = OneHot().Minus(Gather()).abs().max().item<float>();
        double trainingMs;
        using (enable_grad()) trainingMs = Milliseconds(Gather, 0.5); // the same embedding_bag, recording the graph to the weight
        Console.WriteLine($"patch embedding of {config.PatchLength} patches: official one-hot × Linear {oneHotMs:F1} ms; new EmbeddingBag per call {perCallMs:F1} ms; " +
                          $"reused embedding_bag {gatherMs:F1} ms ({perCallMs / gatherMs:F1}× the per-call module, {oneHotMs / gatherMs:F1}× one-hot), max |diff| {maxDiff:E1}; with grad {trainingMs:F1} ms");
    }

    /// <summary>The whole symbolic encoder (global features) at batch 1 for items of each length: the model as it is
    /// against the same model with the per-call module in front of its BERT. The two alternate in short rounds, so a
    /// load that changes during the run weighs on both alike.</summary>
    public static void WholeEncoder(Clamp3Model model, Device device, IReadOnlyList<int> lengths, double seconds)
    {
        var config = model.Config;
        Console.WriteLine();
        Console.WriteLine("symbolic encoder, batch 1, global features: new EmbeddingBag per call (before) vs reused embedding_bag (now)");
        Console.WriteLine($"{"patches",7} {"before/s",9} {"now/s",9} {"before ms",10} {"now ms",9} {"now÷before",10} {"max |diff|",10}");
        foreach (int length in lengths)
        {
            if (length > config.PatchLength) { Console.WriteLine($"{length,7} skipped: longer than the model's {config.PatchLength} patches"); continue; }
            using var scope = NewDisposeScope();
            var patches = RandomPatches(length, config.PatchSize, device);
            var mask = ones(1, length).to(device);
            Tensor Now() => model.GetSymbolicFeatures(patches, mask, global: true);
            Tensor Before()
            {
                var embeds = PerCallEmbedding(model.SymbolicModel.PatchEmbedding, patches);
                var hidden = model.SymbolicModel.Base.call(null, mask, embeds);
                return model.SymbolicProjection.call(Clamp3Model.MaskedMean(hidden, mask));
            }
            double maxDiff = Now().Minus(Before()).abs().max().cpu().item<float>();
            double beforeMs = 0, nowMs = 0;
            const int rounds = 4;
            for (int round = 0; round < rounds; round++)
            {
                beforeMs += Milliseconds(Before, seconds / rounds);
                nowMs += Milliseconds(Now, seconds / rounds);
            }
            beforeMs /= rounds;
            nowMs /= rounds;
            Console.WriteLine($"{length,7} {1000 / beforeMs,9:F2} {1000 / nowMs,9:F2} {beforeMs,10:F1} {nowMs,9:F1} {beforeMs / nowMs,9:F2}× {maxDiff,10:E1}");
        }
        Console.WriteLine();
    }

    private static Tensor RandomPatches(int length, int patchSize, Device device) =>
        randint(0, Clamp3Config.PatchVocabSize, new long[] { 1, length, patchSize }, dtype: ScalarType.Int64).to(device);

    /// <summary>The pre-issue-15 embedding: a new EmbeddingBag module built from the weight on every call.</summary>
    private static Tensor PerCallEmbedding(Linear linear, Tensor patches)
    {
        long length = patches.shape[1], patchSize = patches.shape[2];
        var offsets = KeptScalarOps.Arange(0, patchSize * Clamp3Config.PatchVocabSize, Clamp3Config.PatchVocabSize, patches.device);
        var columns = patches.reshape(-1, patchSize).Plus(offsets);
        using var bag = nn.EmbeddingBag_from_pretrained(linear.weight!.t().contiguous(), freeze: true, mode: EmbeddingBagMode.Sum);
        return bag.call(columns, null, null).Plus(linear.bias!).reshape(1, length, -1);
    }

    /// <summary>Mean milliseconds per call of <paramref name="f"/> over about <paramref name="seconds"/> (at least one
    /// call, after one warm-up call); <c>cpu()</c> waits for a GPU to finish.</summary>
    private static double Milliseconds(Func<Tensor> f, double seconds)
    {
        using (NewDisposeScope()) f().cpu();
        var clock = Stopwatch.StartNew();
        int passes = 0;
        do { using var inner = NewDisposeScope(); f().cpu(); passes++; } while (clock.Elapsed.TotalSeconds < seconds);
        return clock.Elapsed.TotalMilliseconds / passes;
    }
}
