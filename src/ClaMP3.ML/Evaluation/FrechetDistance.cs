using ClaMP3.ML.Checkpoints;
using System.Numerics.Tensors;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.ML.Evaluation;

/// <summary>The mean and covariance of a feature set, in float64.</summary>
public sealed record GaussianStatistics(double[] Mean, double[,] Covariance, int Count);

/// <summary>
/// The Fréchet distance between two feature sets modelled as Gaussians (as FID/FAD/FMD compute it on their own
/// embeddings; here on CLaMP 3 global features):
/// d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½.
/// Means and covariances (unbiased, N − 1, as <c>numpy.cov</c>) are accumulated in float64. The square-root term
/// uses symmetric eigendecompositions only (Σ₁^½ from Σ₁'s eigenpairs, then the eigenvalues of the symmetric
/// Σ₁^½ Σ₂ Σ₁^½), which is the same trace as scipy's <c>sqrtm(Σ₁ Σ₂)</c> but never leaves the real symmetric case;
/// eigenvalues below zero (rounding, or rank-deficient sets with fewer items than dimensions) are clipped to zero.
/// </summary>
public static class FrechetDistance
{
    public static GaussianStatistics Statistics(IReadOnlyList<float[]> features, string? nameForErrors = null)
    {
        string name = nameForErrors ?? "feature set";
        if (features.Count < 2) throw new ArgumentException($"{name}: needs at least 2 feature vectors for a covariance, got {features.Count}.");
        int d = features[0].Length;
        var mean = new double[d];
        for (int i = 0; i < features.Count; i++)
        {
            var f = features[i];
            if (f.Length != d) throw new ArgumentException($"{name}: vector {i} has {f.Length} dimensions, the first has {d}.");
            if (FiniteValues.FirstNonFinite(f) >= 0) throw new ArgumentException($"{name}: vector {i} holds NaN or infinite values.");
            for (int j = 0; j < d; j++) mean[j] += f[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= features.Count;
        // Centred rows, then Σ = XᵀX / (N − 1) one row pair at a time (upper triangle, mirrored).
        var centred = new double[d][];
        for (int j = 0; j < d; j++) centred[j] = new double[features.Count];
        for (int i = 0; i < features.Count; i++)
            for (int j = 0; j < d; j++) centred[j][i] = features[i][j] - mean[j];
        var cov = new double[d, d];
        Parallel.For(0, d, a =>
        {
            for (int b = a; b < d; b++)
            {
                double s = TensorPrimitives.Dot<double>(centred[a], centred[b]) / (features.Count - 1);
                cov[a, b] = s;
                cov[b, a] = s;
            }
        });
        return new GaussianStatistics(mean, cov, features.Count);
    }

    public static double Compute(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> generated) =>
        Compute(Statistics(reference, "reference set"), Statistics(generated, "generated set"));

    public static double Compute(GaussianStatistics a, GaussianStatistics b)
    {
        int d = a.Mean.Length;
        if (b.Mean.Length != d) throw new ArgumentException($"The sets have different dimensions ({d} and {b.Mean.Length}).");
        double meanTerm = 0, traceA = 0, traceB = 0;
        for (int i = 0; i < d; i++)
        {
            double diff = a.Mean[i] - b.Mean[i];
            meanTerm += diff * diff;
            traceA += a.Covariance[i, i];
            traceB += b.Covariance[i, i];
        }
        var sqrtA = SymmetricSqrt(a.Covariance);
        var middle = Multiply(Multiply(sqrtA, b.Covariance), sqrtA);
        Symmetrize(middle);
        var (values, _) = SymmetricEigen.Decompose(middle);
        double traceSqrt = values.Sum(v => Math.Sqrt(Math.Max(v, 0)));
        return Math.Max(0, meanTerm + traceA + traceB - 2 * traceSqrt);
    }

    /// <summary>Between two folders of global features (<c>clamp3 embed --global</c> output, searched recursively).</summary>
    public static double Compute(string referenceFolder, string generatedFolder)
    {
        var reference = FeatureFolder.Load(referenceFolder).Select(f => f.Vector).ToList();
        var generated = FeatureFolder.Load(generatedFolder).Select(f => f.Vector).ToList();
        if (reference.Count > 0 && generated.Count > 0 && reference[0].Length != generated[0].Length)
            throw new ArgumentException($"{generatedFolder}: {generated[0].Length}-dimensional features, {referenceFolder} has {reference[0].Length}.");
        return Compute(Statistics(reference, referenceFolder), Statistics(generated, generatedFolder));
    }

    /// <summary>S^½ = V diag(√max(λ, 0)) Vᵀ for a symmetric positive semi-definite S.</summary>
    internal static double[,] SymmetricSqrt(double[,] s)
    {
        var (values, vectors) = SymmetricEigen.Decompose(s);
        int n = values.Length;
        var scaled = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) scaled[i, j] = vectors[i, j] * Math.Sqrt(Math.Max(values[j], 0));
        var result = new double[n, n];
        Parallel.For(0, n, i =>
        {
            for (int j = i; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += scaled[i, k] * vectors[j, k];
                result[i, j] = sum;
                result[j, i] = sum;
            }
        });
        return result;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1), inner = a.GetLength(1);
        var bt = new double[m][];
        for (int j = 0; j < m; j++) { bt[j] = new double[inner]; for (int k = 0; k < inner; k++) bt[j][k] = b[k, j]; }
        var result = new double[n, m];
        Parallel.For(0, n, i =>
        {
            var row = new double[inner];
            for (int k = 0; k < inner; k++) row[k] = a[i, k];
            for (int j = 0; j < m; j++) result[i, j] = TensorPrimitives.Dot<double>(row, bt[j]);
        });
        return result;
    }

    private static void Symmetrize(double[,] m)
    {
        int n = m.GetLength(0);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) { double avg = 0.5 * (m[i, j] + m[j, i]); m[i, j] = avg; m[j, i] = avg; }
    }
}
