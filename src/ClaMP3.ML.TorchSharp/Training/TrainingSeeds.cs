namespace ClaMP3.ML.Training;

/// <summary>What a random stream of a training run is for; part of every stream's seed, so the streams never overlap.</summary>
public enum SeedPurpose
{
    /// <summary>Which pairs are held out for evaluation (<see cref="Clamp3TrainerOptions.EvalSplit"/>).</summary>
    EvalSplit = 1,
    /// <summary>The order of the training pairs in an epoch.</summary>
    Shuffle = 2,
    /// <summary>Per batch: text dropout, file choice, instrument-info removal, truncation side and window.</summary>
    Batch = 3,
    /// <summary>Per batch and gradient-cache sub-batch: libtorch's generator for hidden and attention dropout.</summary>
    Dropout = 4,
    /// <summary>libtorch's generator when the weights are initialised at random (training from a config).</summary>
    Init = 5,
}

/// <summary>
/// The seed scheme of <see cref="Clamp3TrainingLoop"/>: one <see cref="Clamp3TrainerOptions.Seed"/> drives every random
/// choice. Each choice has its own stream, seeded with SplitMix64 over (seed, purpose, epoch, step, part): the eval split
/// (seed, EvalSplit), the shuffle of epoch e (seed, Shuffle, e), the batch-building draws of step s of epoch e
/// (seed, Batch, e, s), the dropout masks of sub-batch c of that step (seed, Dropout, e, s, c) and the initial weights
/// (seed, Init). A stream depends only on its position, never on what ran before, so a run resumed anywhere (even
/// mid-epoch) and a run in another process draw exactly the same numbers. Plain 64-bit integer arithmetic throughout
/// (never <see cref="HashCode"/>, which .NET randomises per process).
/// </summary>
public static class TrainingSeeds
{
    /// <summary>The 64-bit seed of one stream.</summary>
    public static ulong Derive(long seed, SeedPurpose purpose, long epoch = 0, long step = 0, long part = 0)
    {
        ulong h = SplitMix64((ulong)seed);
        h = SplitMix64(h ^ (ulong)purpose);
        h = SplitMix64(h ^ (ulong)epoch);
        h = SplitMix64(h ^ (ulong)step);
        return SplitMix64(h ^ (ulong)part);
    }

    /// <summary>A <see cref="Random"/> over the stream (see <see cref="SeededRandom"/>).</summary>
    public static Random Random(long seed, SeedPurpose purpose, long epoch = 0, long step = 0, long part = 0) =>
        new SeededRandom(Derive(seed, purpose, epoch, step, part));

    /// <summary>A non-negative seed for <c>torch.manual_seed</c>.</summary>
    public static long Torch(long seed, SeedPurpose purpose, long epoch = 0, long step = 0, long part = 0) =>
        (long)(Derive(seed, purpose, epoch, step, part) >> 1);

    /// <summary>Sebastiano Vigna's SplitMix64 finaliser (the seeding function of xoshiro): <see cref="ML.SplitMix64.Mix"/>.</summary>
    public static ulong SplitMix64(ulong x) => ML.SplitMix64.Mix(x);
}

/// <summary>
/// A <see cref="System.Random"/> whose numbers are fixed by its seed for good: a SplitMix64 sequence, with integers in
/// [0, n) by Lemire's multiply-shift and doubles from the top 53 bits. (<c>new Random(int)</c> is deterministic today,
/// but its algorithm is an implementation detail of .NET; this one is part of the seed scheme.)
/// </summary>
public sealed class SeededRandom : Random
{
    private ML.SplitMix64 _generator;

    public SeededRandom(ulong seed) : base(0) => _generator = new ML.SplitMix64(seed);

    private ulong NextUInt64() => _generator.Next();

    private ulong Below(ulong n) => n == 0 ? 0 : (ulong)((UInt128)NextUInt64() * n >> 64);

    // The int overloads are the long ones over a smaller range: the same draws, so the same numbers.
    public override int Next() => (int)NextInt64(int.MaxValue);
    public override int Next(int maxValue) => (int)NextInt64(maxValue);
    public override int Next(int minValue, int maxValue) => (int)NextInt64(minValue, maxValue);
    public override long NextInt64() => (long)Below(long.MaxValue);
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)Below((ulong)maxValue);
    }
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return unchecked(minValue + (long)Below((ulong)(maxValue - minValue)));
    }
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));
    protected override double Sample() => NextDouble();
    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());
    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i += 8)
        {
            ulong v = NextUInt64();
            for (int k = 0; k < 8 && i + k < buffer.Length; k++) buffer[i + k] = (byte)(v >> (8 * k));
        }
    }
}
