namespace ClaMP3.ML.Inference;

/// <summary>A row-major float32 matrix: <paramref name="Rows"/> × <paramref name="Columns"/> values. Global features
/// have <c>Rows == 1</c>.</summary>
public sealed record FeatureMatrix(float[] Values, int Rows, int Columns)
{
    /// <summary>Row <paramref name="row"/> as a span.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
}
