using System.Numerics.Tensors;

namespace ClaMP3.ML.Retrieval;

/// <summary>Cosine similarity as <c>torch.cosine_similarity</c> computes it (eps 1e-8 on the norms' product).</summary>
public static class Similarity
{
    public const double Epsilon = 1e-8;

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Cannot compare embeddings of different sizes ({a.Length} and {b.Length}).");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Max(Math.Sqrt(na) * Math.Sqrt(nb), Epsilon);
    }

    /// <summary>A unit-length copy (zero vectors stay zero), so that cosine similarity becomes a dot product.</summary>
    public static float[] Normalize(ReadOnlySpan<float> v)
    {
        var result = v.ToArray();
        float norm = TensorPrimitives.Norm(result);
        if (norm > 0) TensorPrimitives.Divide(result, norm, result);
        return result;
    }
}
