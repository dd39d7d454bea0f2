namespace ClaMP3.ML.Inference;

/// <summary>A row-major float32 matrix: <paramref name="Rows"/> × <paramref name="Columns"/> values.</summary>
public sealed record FeatureMatrix(float[] Values, int Rows, int Columns);
