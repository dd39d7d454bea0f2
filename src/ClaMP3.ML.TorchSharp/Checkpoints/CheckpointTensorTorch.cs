using TorchSharp;

namespace ClaMP3.ML.Checkpoints;

/// <summary>TorchSharp conversions of the core's plain checkpoint types (the core references no TorchSharp). The
/// C# 14 extension members keep the pre-split call sites: <c>CheckpointTensor.FromTensor(t)</c>, <c>ct.ToTensor()</c>,
/// <c>dtype.ToScalarType()</c>, <c>TensorDTypes.FromScalarType(t.dtype)</c>.</summary>
public static class CheckpointTensorTorch
{
    extension(CheckpointTensor)
    {
        /// <summary>Copies a TorchSharp tensor (any device, any strides) into managed memory.</summary>
        public static CheckpointTensor FromTensor(torch.Tensor tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            var dtype = TensorDTypes.FromScalarType(tensor.dtype);
            using var scope = torch.NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            var bytes = cpu.numel() == 0 ? Array.Empty<byte>() : cpu.bytes.ToArray();
            return new CheckpointTensor(dtype, tensor.shape.ToArray(), bytes);
        }
    }

    extension(CheckpointTensor checkpointTensor)
    {
        /// <summary>A new TorchSharp tensor (same dtype and shape) holding a copy of the data, on <paramref name="device"/> (default CPU).</summary>
        public torch.Tensor ToTensor(torch.Device? device = null)
        {
            using var scope = torch.NewDisposeScope();
            var t = torch.empty(checkpointTensor.Shape, dtype: checkpointTensor.DType.ToScalarType());
            if (checkpointTensor.Data.Length > 0) t.bytes = checkpointTensor.Data;
            if (device != null && device.type != DeviceType.CPU) t = t.to(device);
            return t.MoveToOuterDisposeScope();
        }
    }

    extension(TensorDType dtype)
    {
        public torch.ScalarType ToScalarType() => dtype switch
        {
            TensorDType.Float32 => torch.ScalarType.Float32,
            TensorDType.Float64 => torch.ScalarType.Float64,
            TensorDType.Float16 => torch.ScalarType.Float16,
            TensorDType.BFloat16 => torch.ScalarType.BFloat16,
            TensorDType.Int64 => torch.ScalarType.Int64,
            TensorDType.Int32 => torch.ScalarType.Int32,
            TensorDType.Int16 => torch.ScalarType.Int16,
            TensorDType.Int8 => torch.ScalarType.Int8,
            TensorDType.UInt8 => torch.ScalarType.Byte,
            TensorDType.Bool => torch.ScalarType.Bool,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
        };
    }

    extension(TensorDTypes)
    {
        public static TensorDType FromScalarType(torch.ScalarType type) => type switch
        {
            torch.ScalarType.Float32 => TensorDType.Float32,
            torch.ScalarType.Float64 => TensorDType.Float64,
            torch.ScalarType.Float16 => TensorDType.Float16,
            torch.ScalarType.BFloat16 => TensorDType.BFloat16,
            torch.ScalarType.Int64 => TensorDType.Int64,
            torch.ScalarType.Int32 => TensorDType.Int32,
            torch.ScalarType.Int16 => TensorDType.Int16,
            torch.ScalarType.Int8 => TensorDType.Int8,
            torch.ScalarType.Byte => TensorDType.UInt8,
            torch.ScalarType.Bool => TensorDType.Bool,
            _ => throw new NotSupportedException($"Tensors of type {type} cannot be stored in a checkpoint by this library."),
        };
    }

    extension(Safetensors)
    {
        /// <summary>Writes TorchSharp tensors (any device) as safetensors (each copied to managed memory first).</summary>
        public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
            Safetensors.Write(path, tensors.Select(kv => new KeyValuePair<string, CheckpointTensor>(kv.Key, CheckpointTensor.FromTensor(kv.Value))), metadata);
    }
}
