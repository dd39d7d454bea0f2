using TorchSharp;

namespace ClaMP3.ML.Inference;

/// <summary>The one parser of device names for every TorchSharp path (embedder, MERT, training, benchmarks).</summary>
public static class TorchDevice
{
    /// <summary>Parses "cpu", "cuda" or "cuda:N", checking that the CUDA device exists.</summary>
    public static torch.Device Parse(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        var m = System.Text.RegularExpressions.Regex.Match(device.Trim().ToLowerInvariant(), @"^(cpu|cuda)(?::(\d+))?$");
        if (!m.Success) throw new ArgumentException($"Unknown device '{device}' (use cpu, cuda or cuda:N).", nameof(device));
        if (m.Groups[1].Value == "cpu") return torch.CPU;
        // Checked before torch.device(): a CPU-only libtorch throws an unhelpful error for any CUDA device.
        if (!torch.cuda.is_available())
            throw new ArgumentException($"Device '{device}' requested but CUDA is not available (it needs an NVIDIA GPU and a CUDA build of libtorch, e.g. the libtorch-cuda-12.8-linux-x64 or TorchSharp-cuda-linux package, instead of libtorch-cpu).", nameof(device));
        int index = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (index >= torch.cuda.device_count())
            throw new ArgumentException($"Device '{device}' requested but only {torch.cuda.device_count()} CUDA device(s) exist.", nameof(device));
        return torch.device(DeviceType.CUDA, index);
    }
}
