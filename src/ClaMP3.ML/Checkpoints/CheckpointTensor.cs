using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// A tensor read from (or to be written to) a checkpoint: element type, shape, and the elements as contiguous,
/// C-order, little-endian bytes. Plain managed memory, so reading a checkpoint allocates nothing native.
/// (TorchSharp conversions: <c>ToTensor</c>/<c>FromTensor</c> in ClaMP3.ML.TorchSharp.)
/// </summary>
public sealed class CheckpointTensor
{
    public TensorDType DType { get; }
    public long[] Shape { get; }
    /// <summary>Contiguous, C order, little-endian. May be shared with other tensors of the same checkpoint: do not modify.</summary>
    public byte[] Data { get; }

    public CheckpointTensor(TensorDType dtype, long[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
        long expected = ElementCountOf(shape) * dtype.ElementSize();
        if (expected != data.LongLength)
            throw new ArgumentException($"A {dtype} tensor of shape [{string.Join(", ", shape)}] needs {expected} bytes, got {data.LongLength}.", nameof(data));
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    public long ElementCount => ElementCountOf(Shape);

    internal static long ElementCountOf(long[] shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    public static CheckpointTensor FromFloat32(float[] values, params long[] shape)
    {
        var bytes = new byte[checked(values.LongLength * 4)];
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        return new CheckpointTensor(TensorDType.Float32, shape, bytes);
    }

    /// <summary>The elements converted to float32 (exact for every type except float64 and large integers).</summary>
    public float[] ToFloat32()
    {
        long n = ElementCount;
        var result = new float[n];
        var src = Data.AsSpan();
        switch (DType)
        {
            case TensorDType.Float32:
                MemoryMarshal.Cast<byte, float>(src).CopyTo(result);
                break;
            case TensorDType.Float64:
                for (long i = 0; i < n; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(int)(i * 8)..]);
                break;
            case TensorDType.Float16:
                for (long i = 0; i < n; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(int)(i * 2)..]);
                break;
            case TensorDType.BFloat16:
                // bfloat16 is the upper half of a float32.
                for (long i = 0; i < n; i++) result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(int)(i * 2)..]) << 16);
                break;
            case TensorDType.Int64:
                for (long i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(int)(i * 8)..]);
                break;
            case TensorDType.Int32:
                for (long i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(int)(i * 4)..]);
                break;
            case TensorDType.Int16:
                for (long i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(int)(i * 2)..]);
                break;
            case TensorDType.Int8:
                for (long i = 0; i < n; i++) result[i] = (sbyte)src[(int)i];
                break;
            case TensorDType.UInt8:
            case TensorDType.Bool:
                for (long i = 0; i < n; i++) result[i] = src[(int)i];
                break;
            default:
                throw new NotSupportedException(DType.ToString());
        }
        return result;
    }

    /// <summary>The elements as int64 (for integer tensors such as an optimizer's step counts or token ids).</summary>
    public long[] ToInt64()
    {
        long n = ElementCount;
        var result = new long[n];
        var src = Data.AsSpan();
        for (long i = 0; i < n; i++)
        {
            result[i] = DType switch
            {
                TensorDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(src[(int)(i * 8)..]),
                TensorDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(src[(int)(i * 4)..]),
                TensorDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(src[(int)(i * 2)..]),
                TensorDType.Int8 => (sbyte)src[(int)i],
                TensorDType.UInt8 or TensorDType.Bool => src[(int)i],
                _ => throw new InvalidOperationException($"ToInt64 needs an integer tensor; this one is {DType}."),
            };
        }
        return result;
    }

    public override string ToString() => $"{DType}[{string.Join(", ", Shape)}]";
}
