using System.Numerics;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Checkpoints;

/// <summary>Finds NaN and ±Inf in float data by their exponent bits (all ones), a SIMD vector at a time, so that
/// checking every weight of a checkpoint costs a fraction of reading it.</summary>
public static class FiniteValues
{
    /// <summary>The index of the first non-finite element, or -1 (always -1 for integer and bool tensors).</summary>
    public static long FirstNonFinite(CheckpointTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bytes = tensor.Data.AsSpan();
        return tensor.DType switch
        {
            TensorDType.Float32 => First(MemoryMarshal.Cast<byte, uint>(bytes), 0x7F80_0000u),
            TensorDType.Float64 => First(MemoryMarshal.Cast<byte, ulong>(bytes), 0x7FF0_0000_0000_0000ul),
            TensorDType.Float16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7C00),
            TensorDType.BFloat16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7F80),
            _ => -1,
        };
    }

    /// <summary>The index of the first NaN or ±Inf, or -1.</summary>
    public static long FirstNonFinite(ReadOnlySpan<float> values) => First(MemoryMarshal.Cast<float, uint>(values), 0x7F80_0000u);

    private const int CountLimit = 1000;

    /// <summary>The error for data holding NaN or ±Inf: an <see cref="InvalidDataException"/> naming the file and
    /// what in it (a tensor, a feature array), since every result computed from it would be NaN.</summary>
    public static InvalidDataException Error(string fileName, string what, long index, int count, string? hint = null) =>
        new($"{fileName}: {what} holds non-finite values (NaN or Inf; first at element {index}, {count}{(count >= CountLimit ? "+" : "")} in all); " +
            $"every result computed from it would be NaN.{(hint is null ? "" : " " + hint)}");

    /// <summary>How many non-finite elements (counted up to a limit, for messages).</summary>
    public static int CountNonFinite(ReadOnlySpan<float> values)
    {
        int count = 0;
        foreach (var v in values)
            if (!float.IsFinite(v) && ++count >= CountLimit) break;
        return count;
    }

    /// <summary>Throws <see cref="Error"/> naming <paramref name="fileName"/> and <paramref name="what"/>.</summary>
    public static void Require(ReadOnlySpan<float> values, string fileName, string what)
    {
        long index = FirstNonFinite(values);
        if (index >= 0) throw Error(fileName, what, index, CountNonFinite(values));
    }

    /// <summary>Throws for the first tensor of <paramref name="stateDict"/> holding NaN or ±Inf.</summary>
    public static void Require(StateDict stateDict, string fileName)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        foreach (var (name, tensor) in stateDict)
        {
            long index = FirstNonFinite(tensor);
            if (index < 0) continue;
            int count = tensor.DType == TensorDType.Float32
                ? CountNonFinite(MemoryMarshal.Cast<byte, float>(tensor.Data.AsSpan()))
                : CountNonFinite(tensor.ToFloat32());
            throw Error(fileName, $"tensor '{name}' {tensor}", index, count,
                "Refused; set AllowNonFiniteWeights to load such weights anyway.");
        }
    }

    /// <summary>An element is non-finite when all its exponent bits are set.</summary>
    private static long First<T>(ReadOnlySpan<T> bits, T exponent) where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<T>.Count)
        {
            var mask = new Vector<T>(exponent);
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(bits);
            int v = 0;
            while (v < vectors.Length && !Vector.EqualsAny(vectors[v] & mask, mask)) v++;
            i = v * Vector<T>.Count; // the first vector holding one, or the scalar tail
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & exponent) == exponent) return i;
        return -1;
    }
}
