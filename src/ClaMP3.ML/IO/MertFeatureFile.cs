using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;

namespace ClaMP3.ML.IO;

/// <summary>Reads the MERT feature files CLaMP 3's audio encoder takes: float32 <c>(1, T, H)</c> as
/// <c>extract_mert.py --mean_features</c> saves them, or <c>(T, H)</c>; H is the audio hidden size. The one reader for
/// embedding and training, strict on purpose: a wrong dtype, rank or width, an empty array, or a NaN/Inf value is
/// refused with the file named, rather than giving features that look fine and are not.</summary>
public static class MertFeatureFile
{
    /// <param name="path">The <c>.npy</c> file.</param>
    /// <param name="width">The audio hidden size the encoder reads (768 for MERT-v1-95M).</param>
    /// <param name="warn">Gets a warning naming the file for a <c>(L, T, H)</c> array with L &gt; 1 (saved without
    /// <c>--mean_features</c>), which is read as one sequence of L×T rows, as the official <c>reshape(-1, dim)</c> does.</param>
    /// <param name="allowNonFinite">Accept NaN and infinite values (they make every embedding NaN).</param>
    /// <exception cref="InvalidDataException">The file is not such an array; the message starts with the path.</exception>
    public static FeatureMatrix Read(string path, int width, Action<string>? warn = null, bool allowNonFinite = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        NpyArray array;
        try { array = NpyFile.Read(path); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or OverflowException)
        {
            throw new InvalidDataException(e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: not a readable .npy file ({e.Message})", e);
        }
        string shape = "(" + string.Join(", ", array.Shape) + ")";
        if (array.DType != "f4") throw new InvalidDataException($"{path}: MERT features must be float32, got dtype '{array.DType}' {shape}.");
        if (array.Shape.Length is not (2 or 3))
            throw new InvalidDataException($"{path}: MERT features must have shape (1, T, {width}) or (T, {width}), got rank {array.Shape.Length} {shape}.");
        if (array.Shape[^1] != width)
            throw new InvalidDataException($"{path}: MERT features must be {width} wide (the audio hidden size), got {shape}.");
        long rows = array.Shape[..^1].Aggregate(1L, (a, b) => checked(a * b));
        if (rows == 0) throw new InvalidDataException($"{path}: MERT features are empty {shape}.");
        if (rows > int.MaxValue / width) throw new InvalidDataException($"{path}: MERT features {shape} are too large.");
        if (array.Shape.Length == 3 && array.Shape[0] != 1)
            warn?.Invoke($"{path}: shape {shape} has {array.Shape[0]} leading entries (saved without --mean_features?); read as one sequence of {rows} rows, as the official code does.");
        var values = array.ToFloat32();
        if (!allowNonFinite)
        {
            int bad = (int)FiniteValues.FirstNonFinite(values);
            if (bad >= 0)
                throw new InvalidDataException($"{path}: MERT features hold a non-finite value ({values[bad]} at row {bad / width}, column {bad % width}); they would give NaN embeddings.");
        }
        return new FeatureMatrix(values, (int)rows, width);
    }
}
