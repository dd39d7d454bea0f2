using System.Globalization;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Inference;

/// <summary>A short "where it runs and how much memory it holds" for progress lines: <c>cuda:0 12.3/139.8 GiB</c>
/// (the GPU's memory in use, all processes, read through NVML, the driver's management library) or
/// <c>cpu 1.2 GiB</c> (this process's working set). Never throws: without NVML the GPU part reads "memory n/a".</summary>
/// <remarks>NVML, not libtorch: TorchSharp 0.107 exposes no CUDA memory statistics. NVML numbers devices as the driver
/// does, which matches CUDA's numbering unless <c>CUDA_VISIBLE_DEVICES</c> reorders them.</remarks>
public static class DeviceStatus
{
    public static string Describe(string device)
    {
        string name = string.IsNullOrWhiteSpace(device) ? "cpu" : device.Trim().ToLowerInvariant();
        if (!name.StartsWith("cuda", StringComparison.Ordinal))
            return string.Create(CultureInfo.InvariantCulture, $"{name} {Environment.WorkingSet / (double)(1L << 30):F1} GiB");
        int index = name.Length > 5 && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : 0;
        return Nvml.TryMemory(index) is (ulong used, ulong total)
            ? string.Create(CultureInfo.InvariantCulture, $"cuda:{index} {used / (double)(1L << 30):F1}/{total / (double)(1L << 30):F1} GiB")
            : $"cuda:{index} memory n/a";
    }

    private static unsafe class Nvml
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct Memory { public ulong Total, Free, Used; }

        private static readonly Lazy<IntPtr> Library = new(() =>
        {
            foreach (var candidate in new[] { "libnvidia-ml.so.1", "libnvidia-ml.so", "nvml.dll" })
                if (NativeLibrary.TryLoad(candidate, out var handle)
                    && NativeLibrary.TryGetExport(handle, "nvmlInit_v2", out var init)
                    && ((delegate* unmanaged<int>)init)() == 0)
                    return handle;
            return IntPtr.Zero;
        });

        public static (ulong Used, ulong Total)? TryMemory(int index)
        {
            try
            {
                var lib = Library.Value;
                if (lib == IntPtr.Zero
                    || !NativeLibrary.TryGetExport(lib, "nvmlDeviceGetHandleByIndex_v2", out var byIndex)
                    || !NativeLibrary.TryGetExport(lib, "nvmlDeviceGetMemoryInfo", out var memoryInfo))
                    return null;
                IntPtr device;
                if (((delegate* unmanaged<uint, IntPtr*, int>)byIndex)((uint)index, &device) != 0) return null;
                Memory memory;
                if (((delegate* unmanaged<IntPtr, Memory*, int>)memoryInfo)(device, &memory) != 0) return null;
                return (memory.Used, memory.Total);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                return null;
            }
        }
    }
}
