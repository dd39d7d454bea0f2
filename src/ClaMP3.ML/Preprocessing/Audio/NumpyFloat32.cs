namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>float32 reductions in NumPy's order, so that statistics match <c>np.float32</c> arrays bit for bit.</summary>
internal static class NumpyFloat32
{
    private const int PairwiseBlock = 128; // numpy's PW_BLOCKSIZE
    private const int BufferSize = 8192;   // numpy's default ufunc buffer: reductions see the array in chunks of this size

    private interface IElement { float Get(ReadOnlySpan<float> a, int i); }

    private readonly struct Identity : IElement
    {
        public float Get(ReadOnlySpan<float> a, int i) => a[i];
    }

    private readonly struct SquaredDeviation(float mean) : IElement
    {
        public float Get(ReadOnlySpan<float> a, int i)
        {
            float d = a[i] - mean; // numpy materialises x - mean in float32, then squares it in float32
            return d * d;
        }
    }

    /// <summary><c>np.add.reduce</c> over a contiguous float32 array, in numpy's order: the array is fed to the inner loop
    /// in chunks of 8192 elements that are added in turn to the running total, and each chunk is summed pairwise
    /// (8 interleaved partial sums in blocks of up to 128, halves split at multiples of 8). Both levels were checked
    /// against the fixtures: whole-array pairwise summation differs in the last bit of the mean.</summary>
    public static float Sum(ReadOnlySpan<float> a) => Chunked(a, default(Identity));

    private static float Chunked<T>(ReadOnlySpan<float> a, T e) where T : struct, IElement
    {
        float total = 0f;
        for (int i = 0; i < a.Length; i += BufferSize)
            total += Pairwise(a.Slice(i, Math.Min(BufferSize, a.Length - i)), e);
        return total;
    }

    private static float Pairwise<T>(ReadOnlySpan<float> a, T e) where T : struct, IElement
    {
        int n = a.Length;
        if (n < 8)
        {
            float res = 0f;
            for (int i = 0; i < n; i++) res += e.Get(a, i);
            return res;
        }
        if (n <= PairwiseBlock)
        {
            float r0 = e.Get(a, 0), r1 = e.Get(a, 1), r2 = e.Get(a, 2), r3 = e.Get(a, 3);
            float r4 = e.Get(a, 4), r5 = e.Get(a, 5), r6 = e.Get(a, 6), r7 = e.Get(a, 7);
            int i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += e.Get(a, i); r1 += e.Get(a, i + 1); r2 += e.Get(a, i + 2); r3 += e.Get(a, i + 3);
                r4 += e.Get(a, i + 4); r5 += e.Get(a, i + 5); r6 += e.Get(a, i + 6); r7 += e.Get(a, i + 7);
            }
            float res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += e.Get(a, i);
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return Pairwise(a[..n2], e) + Pairwise(a[n2..], e);
    }

    /// <summary><c>x.mean()</c> for a float32 array: the float32 pairwise sum divided by the count
    /// (numpy divides by an intp scalar, i.e. in float64, and rounds to float32).</summary>
    public static float Mean(ReadOnlySpan<float> x) => (float)((double)Sum(x) / x.Length);

    /// <summary><c>x.var()</c> (population) for a float32 array, as numpy 1.x computes it: the float32 squares of the
    /// float32 deviations from <see cref="Mean"/>, summed pairwise, divided by N.</summary>
    public static float Variance(ReadOnlySpan<float> x) =>
        (float)((double)Chunked(x, new SquaredDeviation(Mean(x))) / x.Length);
}
