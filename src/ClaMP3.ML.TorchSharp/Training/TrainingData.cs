namespace ClaMP3.ML.Training;

/// <summary>The pairs a run trains and evaluates on, after cleaning and the eval split.</summary>
internal sealed record TrainingData(List<TrainingPair> Train, List<TrainingPair> Eval, int Skipped)
{
    /// <summary>Drops (and logs) unusable pairs; without an eval set, holds out <see cref="Clamp3TrainerOptions.EvalSplit"/>
    /// of the training pairs, drawn from the (seed, EvalSplit) stream.</summary>
    public static TrainingData Prepare(IReadOnlyList<TrainingPair> pairs, IReadOnlyList<TrainingPair>? evalPairs,
        Clamp3TrainerOptions options, Action<string>? log)
    {
        int skipped = 0;
        List<TrainingPair> Clean(IEnumerable<TrainingPair> source)
        {
            var kept = new List<TrainingPair>();
            foreach (var p in source)
            {
                if (p.Problem(options.MusicModality) is { } why) { skipped++; log?.Invoke($"skipped pair '{p.Id}': {why}"); }
                else kept.Add(p);
            }
            return kept;
        }
        var train = Clean(pairs);
        var eval = evalPairs is null ? new List<TrainingPair>() : Clean(evalPairs);
        if (evalPairs is null && options.EvalSplit > 0 && train.Count > 1)
        {
            var shuffled = train.ToList();
            Shuffle(shuffled, TrainingSeeds.Random(options.Seed, SeedPurpose.EvalSplit));
            int nEval = (int)(train.Count * options.EvalSplit);
            // One pair gives a loss of exactly 0 (a 1×1 softmax), useless for choosing the best epoch: take two or none.
            if (nEval == 1) nEval = train.Count >= 4 ? 2 : 0;
            eval = shuffled.Take(nEval).ToList();
            train = shuffled.Skip(nEval).ToList();
        }
        if (train.Count == 0) throw new InvalidDataException($"No usable training pairs ({skipped} skipped).");
        return new TrainingData(train, eval, skipped);
    }

    /// <summary>The training pairs in epoch <paramref name="epoch"/>'s order (the (seed, Shuffle, epoch) stream).</summary>
    public List<TrainingPair> EpochOrder(long seed, int epoch)
    {
        var order = Train.ToList();
        Shuffle(order, TrainingSeeds.Random(seed, SeedPurpose.Shuffle, epoch));
        return order;
    }

    /// <summary>Fisher–Yates from the end, as <c>random.shuffle</c> (also <see cref="TextDropout"/>'s line shuffle).</summary>
    internal static void Shuffle<T>(List<T> list, Random random)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
