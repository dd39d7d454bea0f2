using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>The resampler against an independent, literal float64 evaluation of torchaudio's formula (fixtures README,
/// mert-tiny "Exact semantics" 3) for rate pairs the fixtures do not cover, and streaming against whole-signal use.
/// (The fixtures pin 44.1 kHz and 16 kHz bit-closely; see <see cref="MertAudioFixtureTests"/>.)</summary>
[TestClass]
public sealed class SincResamplerTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>y[f·n + j] = Σ_m k[j, m]·x[f·o + m − width], k from the closed form with the float32 phase, cut to ceil(n·N/o).</summary>
    private static double[] Literal(float[] x, int from, int to)
    {
        int g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(from, to);
        int o = from / g, n = to / g;
        double baseFreq = Math.Min(o, n) * 0.99;
        int width = (int)Math.Ceiling(6.0 * o / baseFreq);
        int taps = 2 * width + o;
        long outLength = ((long)n * x.Length + o - 1) / o;
        var y = new double[outLength];
        for (long q = 0; q < outLength; q++)
        {
            long f = q / n;
            int j = (int)(q % n);
            double phi = (double)(float)(-j / (double)n);
            double sum = 0;
            for (int m = 0; m < taps; m++)
            {
                long i = f * o + m - width;
                if (i < 0 || i >= x.Length) continue;
                double t = Math.Clamp((phi + (double)(m - width) / o) * baseFreq, -6, 6);
                double k = (t == 0 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t)) * Math.Pow(Math.Cos(Math.PI * t / 12), 2) * baseFreq / o;
                sum += (double)(float)k * x[i];
            }
            y[q] = sum;
        }
        return y;
    }

    private static float[] Signal(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(0.5 * Math.Sin(i * 0.05) + 0.3 * (rng.NextDouble() - 0.5));
        x[length / 3] = 1f; // an impulse
        return x;
    }

    [TestMethod]
    public void MatchesTheLiteralFormulaForCommonRates()
    {
        foreach (int rate in new[] { 8000, 11025, 12000, 22050, 32000, 44100, 48000, 96000 })
        {
            var x = Signal(rate / 4 + 17, rate);
            var expected = Literal(x, rate, 24000);
            var actual = MertAudioPreprocessor.Resample(x, rate);
            Assert.AreEqual(expected.Length, actual.Length, $"{rate}: output length ceil(n·N/o)");
            double worst = 0;
            for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            TestContext.WriteLine($"{rate} Hz → 24 kHz: {actual.Length} samples, worst |diff| vs float64 literal {worst:E2}");
            Assert.IsTrue(worst < 1e-6, $"{rate}: worst {worst:E2}");
        }
    }

    [TestMethod]
    public void KernelUsesTheFloat32PhaseQuirk()
    {
        // 44.1 kHz: 80 phases of 2·12 + 147 taps. torchaudio rounds the phase offsets −j/80 to float32 before adding
        // the float64 tap grid; computing them in float64 changes some float32 kernel values.
        var r = SincResampler.For(44100, 24000);
        Assert.AreEqual((147, 80, 12, 171), (r.ReducedFrom, r.ReducedTo, r.Width, r.Taps));
        double baseFreq = 80 * 0.99;
        float Tap(double phi, int m)
        {
            double t = Math.Clamp((phi + (double)(m - 12) / 147) * baseFreq, -6, 6); // torch's operation order
            double window = Math.Cos(t * Math.PI / 6 / 2);
            window *= window;
            t *= Math.PI;
            return (float)((t == 0 ? 1.0 : Math.Sin(t) / t) * (window * (baseFreq / 147)));
        }
        int quirkMismatches = 0, float64Mismatches = 0;
        for (int j = 0; j < 80; j++)
            for (int m = 0; m < 171; m++)
            {
                if (r.KernelAt(j, m) != Tap((float)(-j / 80.0), m)) quirkMismatches++;
                if (r.KernelAt(j, m) != Tap(-j / 80.0, m)) float64Mismatches++;
            }
        TestContext.WriteLine($"kernel taps differing from the float32-phase formula: {quirkMismatches}; from a float64-phase kernel: {float64Mismatches}");
        Assert.AreEqual(0, quirkMismatches);
        Assert.IsTrue(float64Mismatches > 0, "the float32 phase quirk should be visible in the kernel");
    }

    [TestMethod]
    public void StreamingAndScalarEqualTheVectorisedWholeSignal()
    {
        foreach (int rate in new[] { 44100, 16000, 48000, 8000 })
        {
            var x = Signal(50_000, 3);
            var whole = MertAudioPreprocessor.Resample(x, rate);
            var stream = SincResampler.For(rate, 24000).CreateStream();
            var rng = new Random(5);
            for (int pos = 0; pos < x.Length;)
            {
                int n = Math.Min(x.Length - pos, rng.Next(1, 3000));
                stream.Push(x.AsSpan(pos, n));
                pos += n;
            }
            CollectionAssert.AreEqual(whole, stream.Finish(), $"{rate}: streamed output differs");
            CollectionAssert.AreEqual(whole, SincResampler.For(rate, 24000).ResampleScalar(x), $"{rate}: SIMD and scalar FMA chains differ");
        }
    }

    [TestMethod]
    public void TinyAndEmptyInputs()
    {
        Assert.AreEqual(0, MertAudioPreprocessor.Resample(Array.Empty<float>(), 44100).Length);
        Assert.AreEqual(1, MertAudioPreprocessor.Resample(new[] { 1f }, 44100).Length); // ceil(80/147)
        Assert.AreEqual(3, MertAudioPreprocessor.Resample(new[] { 1f, 0f }, 16000).Length);
        CollectionAssert.AreEqual(new[] { 0.25f, -1f }, MertAudioPreprocessor.Resample(new[] { 0.25f, -1f }, 24000));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MertAudioPreprocessor.Resample(new[] { 1f }, 0));
    }

    [TestMethod]
    public void NormalizeAndWindowEdgeCases()
    {
        CollectionAssert.AreEqual(new float[5], MertAudioPreprocessor.Normalize(new float[] { 0.3f, 0.3f, 0.3f, 0.3f, 0.3f }), "silence/constant → zeros");
        var w = MertAudioPreprocessor.Windows(new float[240_000 + 24_000]);
        CollectionAssert.AreEqual(new[] { 120_000, 120_000, 24_000 }, w.Select(s => s.Count).ToArray(), "exactly 1 s is kept");
        w = MertAudioPreprocessor.Windows(new float[240_000 + 23_999]);
        CollectionAssert.AreEqual(new[] { 120_000, 120_000 }, w.Select(s => s.Count).ToArray(), "under 1 s is dropped");
        var e = Assert.ThrowsExactly<AudioTooShortException>(() => MertAudioPreprocessor.Windows(Array.Empty<float>(), "empty.wav"));
        StringAssert.Contains(e.Message, "empty.wav");
        Assert.ThrowsExactly<AudioTooShortException>(() => MertAudioPreprocessor.Windows(new float[23_999]));
    }
}
