
namespace ClaMP3.ML.Checkpoints;

/// <summary>Element types a checkpoint tensor can have (the dtypes of PyTorch's typed storages and of safetensors).</summary>
public enum TensorDType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool }

/// <summary>Sizes and the names each format uses for a <see cref="TensorDType"/>.</summary>
public static class TensorDTypes
{
    public static int ElementSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 or TensorDType.Int64 => 8,
        TensorDType.Float32 or TensorDType.Int32 => 4,
        TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Int16 => 2,
        TensorDType.Int8 or TensorDType.UInt8 or TensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The legacy typed-storage class name torch.save writes (<c>torch.FloatStorage</c> …).</summary>
    public static string StorageClassName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "FloatStorage",
        TensorDType.Float64 => "DoubleStorage",
        TensorDType.Float16 => "HalfStorage",
        TensorDType.BFloat16 => "BFloat16Storage",
        TensorDType.Int64 => "LongStorage",
        TensorDType.Int32 => "IntStorage",
        TensorDType.Int16 => "ShortStorage",
        TensorDType.Int8 => "CharStorage",
        TensorDType.UInt8 => "ByteStorage",
        TensorDType.Bool => "BoolStorage",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    internal static TensorDType? FromStorageClassName(string name)
    {
        foreach (var d in Enum.GetValues<TensorDType>())
            if (d.StorageClassName() == name) return d;
        return null;
    }

    /// <summary>dtype objects pickled as <c>torch.float32</c> etc. (aliases included).</summary>
    internal static TensorDType? FromTorchDTypeName(string name) => name switch
    {
        "float32" or "float" => TensorDType.Float32,
        "float64" or "double" => TensorDType.Float64,
        "float16" or "half" => TensorDType.Float16,
        "bfloat16" => TensorDType.BFloat16,
        "int64" or "long" => TensorDType.Int64,
        "int32" or "int" => TensorDType.Int32,
        "int16" or "short" => TensorDType.Int16,
        "int8" => TensorDType.Int8,
        "uint8" => TensorDType.UInt8,
        "bool" => TensorDType.Bool,
        _ => null,
    };

    public static string SafetensorsName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "F32",
        TensorDType.Float64 => "F64",
        TensorDType.Float16 => "F16",
        TensorDType.BFloat16 => "BF16",
        TensorDType.Int64 => "I64",
        TensorDType.Int32 => "I32",
        TensorDType.Int16 => "I16",
        TensorDType.Int8 => "I8",
        TensorDType.UInt8 => "U8",
        TensorDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    internal static TensorDType? FromSafetensorsName(string name)
    {
        foreach (var d in Enum.GetValues<TensorDType>())
            if (d.SafetensorsName() == name) return d;
        return null;
    }
}
