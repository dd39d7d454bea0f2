using System.Globalization;
using ClaMP3.ML.Evaluation;
using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.ML.Tests;

[TestClass]
public class FrechetDistanceTests
{
    private static double[,] RandomSymmetric(int n, ulong seed, bool positive)
    {
        var rng = new SplitMix64(seed);
        var b = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) b[i, j] = rng.NextGaussian();
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                if (positive) for (int k = 0; k < n; k++) s += b[i, k] * b[j, k];
                else s = b[i, j] + b[j, i];
                a[i, j] = s;
            }
        return a;
    }

    /// <summary>A random rotation (Q of Gram-Schmidt on Gaussian columns).</summary>
    private static double[,] Rotation(int n, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var q = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            var v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rng.NextGaussian();
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += v[i] * q[i, p];
                for (int i = 0; i < n; i++) v[i] -= dot * q[i, p];
            }
            double norm = Math.Sqrt(v.Sum(x => x * x));
            for (int i = 0; i < n; i++) q[i, j] = v[i] / norm;
        }
        return q;
    }

    [TestMethod]
    public void EigendecompositionReconstructsTheMatrix()
    {
        foreach (var (n, positive) in new[] { (1, true), (7, false), (60, true) })
        {
            var a = RandomSymmetric(n, (ulong)n, positive);
            var (values, v) = SymmetricEigen.Decompose(a);
            double worst = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int k = 0; k < n; k++) s += v[i, k] * values[k] * v[j, k];
                    worst = Math.Max(worst, Math.Abs(s - a[i, j]));
                }
            Assert.IsTrue(worst < 1e-9 * Math.Max(1, values.Max(Math.Abs)), $"n={n}: worst reconstruction error {worst}");
        }
    }

    [TestMethod]
    public void ClosedFormGaussiansDiagonalAndRotated()
    {
        int n = 12;
        var rng = new SplitMix64(5);
        var mu1 = Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        var mu2 = Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        var d1 = Enumerable.Range(0, n).Select(_ => 0.1 + rng.NextDouble() * 3).ToArray();
        var d2 = Enumerable.Range(0, n).Select(_ => 0.1 + rng.NextDouble() * 3).ToArray();
        d2[3] = 0; // a singular covariance
        double meanTerm = mu1.Zip(mu2, (a, b) => (a - b) * (a - b)).Sum();

        // Commuting (diagonal) covariances: d² = |Δμ|² + Σ (√a − √b)².
        var diag1 = new double[n, n]; var diag2 = new double[n, n];
        for (int i = 0; i < n; i++) { diag1[i, i] = d1[i]; diag2[i, i] = d2[i]; }
        double expected = meanTerm + d1.Zip(d2, (a, b) => Math.Pow(Math.Sqrt(a) - Math.Sqrt(b), 2)).Sum();
        double got = FrechetDistance.Compute(new GaussianStatistics(mu1, diag1, 100), new GaussianStatistics(mu2, diag2, 100));
        Assert.AreEqual(expected, got, 1e-9 * expected, "diagonal");

        // Σ₁ = I, Σ₂ = R D Rᵀ (not diagonal): d² = |Δμ|² + Σ (1 − √dᵢ)².
        var r = Rotation(n, 11);
        var rotated = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) rotated[i, j] += r[i, k] * d2[k] * r[j, k];
        var identity = new double[n, n];
        for (int i = 0; i < n; i++) identity[i, i] = 1;
        expected = meanTerm + d2.Sum(d => Math.Pow(1 - Math.Sqrt(d), 2));
        got = FrechetDistance.Compute(new GaussianStatistics(mu1, identity, 100), new GaussianStatistics(mu2, rotated, 100));
        Assert.AreEqual(expected, got, 1e-8 * expected, "rotated");
        Assert.AreEqual(0, FrechetDistance.Compute(new GaussianStatistics(mu2, rotated, 9), new GaussianStatistics(mu2, rotated, 9)), 1e-9);
    }

    [TestMethod]
    public void MatchesNumpyAndScipyComputedIndependently()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || ChildProcess.Run(python, "-c", "import numpy, scipy.linalg").Code != 0)
            Assert.Inconclusive("Debian's python3 with numpy and scipy is not installed (apt-get install python3-numpy python3-scipy; .ci/run does it as root).");
        using var tmp = TestPaths.NewTempDir();
        string refDir = Path.Combine(tmp.Path, "ref"), genDir = Path.Combine(tmp.Path, "gen");
        // Different clusters, so the sets differ in mean and covariance; 40 items in 16 dimensions.
        var a = new ClusteredVectors(1, 16, 3, 0.7);
        var b = new ClusteredVectors(2, 16, 4, 0.4);
        var v = new float[16];
        for (int i = 0; i < 40; i++)
        {
            a.Item(i, v); NpyFile.WriteFloat32(Path.Combine(refDir, $"r{i:D2}.npy"), v, 1, 16);
            b.Item(i, v); NpyFile.WriteFloat32(Path.Combine(genDir, $"g{i:D2}.npy"), v, 1, 16);
        }
        const string script = """
            import glob, sys, numpy as np, scipy.linalg
            def load(d): return np.stack([np.load(f).reshape(-1).astype(np.float64) for f in sorted(glob.glob(d + '/*.npy'))])
            x, y = load(sys.argv[1]), load(sys.argv[2])
            m1, m2 = x.mean(0), y.mean(0)
            s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
            covmean = scipy.linalg.sqrtm(s1 @ s2)
            covmean = covmean.real
            print(repr(float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))))
            """;
        var (code, output, error) = ChildProcess.Run(python, "-c", script, refDir, genDir);
        Assert.AreEqual(0, code, error);
        double expected = double.Parse(output.Trim(), CultureInfo.InvariantCulture);
        double got = FrechetDistance.Compute(refDir, genDir);
        Assert.IsTrue(Math.Abs(got - expected) <= 1e-7 * Math.Abs(expected), $"ours {got}, numpy/scipy {expected}, difference {Math.Abs(got - expected)}");
    }

    [TestMethod]
    public void TooFewItemsOrMixedDimensionsAreErrorsNamingTheSet()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => FrechetDistance.Compute(new[] { new float[3] }, new[] { new float[3], new float[3] }));
        StringAssert.Contains(e.Message, "reference set");
        e = Assert.ThrowsExactly<ArgumentException>(() => FrechetDistance.Compute(new[] { new float[3], new float[3] }, new[] { new float[3], new float[4] }));
        StringAssert.Contains(e.Message, "generated set");
        e = Assert.ThrowsExactly<ArgumentException>(() => FrechetDistance.Compute(new[] { new float[3], new[] { 1f, float.NaN, 0 } }, new[] { new float[3], new float[3] }));
        StringAssert.Contains(e.Message, "NaN");
    }
}
