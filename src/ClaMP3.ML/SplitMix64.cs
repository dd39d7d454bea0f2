namespace ClaMP3.ML;

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): a tiny, fully specified generator, the same on every platform.</summary>
public struct SplitMix64
{
    private ulong _state;
    public SplitMix64(ulong seed) => _state = seed;

    public ulong Next()
    {
        ulong current = _state;
        unchecked { _state += 0x9E3779B97F4A7C15UL; }
        return Mix(current);
    }

    /// <summary>The output for state <paramref name="x"/> (Vigna's finaliser after one increment): a stateless 64-bit
    /// mixing function, used to derive seeds from (seed, purpose, …) tuples.</summary>
    public static ulong Mix(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }

    /// <summary>Uniform in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal by Box-Muller (one of the pair; simple and reproducible, speed is not the point).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>An independent stream for item <paramref name="index"/> of <paramref name="domain"/>, so any item can be
    /// generated alone, in any order, on any thread, with the same result.</summary>
    public static SplitMix64 ForItem(ulong seed, ulong domain, ulong index)
    {
        var mixer = new SplitMix64(seed ^ (domain * 0xD1B54A32D192ED03UL));
        ulong a = mixer.Next();
        return new SplitMix64(a ^ new SplitMix64(index * 0x9E3779B97F4A7C15UL + domain).Next());
    }
}
