using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ClaMP3.ML.Onnx;

/// <summary>What the CPU computes natively, for the <c>auto</c> precision choice: int8 dot products (x86 VNNI/AMX, Arm
/// dot product) and bfloat16 (AVX512-BF16/AMX-BF16). Without them int8 and bf16 are emulated and can be far slower
/// than float32 (bf16 on AVX2: about 40× slower, measured), so <c>auto</c> then stays float32.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<HashSet<string>> Flags = new(ReadFlags);

    /// <summary>The x86 feature flags of /proc/cpuinfo (empty elsewhere).</summary>
    public static IReadOnlySet<string> LinuxFlags => Flags.Value;

    public static bool HasNativeInt8Dot =>
        AvxVnni.IsSupported || Dp.IsSupported || Flags.Value.Overlaps(new[] { "avx512_vnni", "avx_vnni", "amx_int8" });

    public static bool HasNativeBFloat16 => Flags.Value.Overlaps(new[] { "avx512_bf16", "amx_bf16" });

    /// <summary>The flags that matter for the benchmarks, as one line (e.g. "avx2 avx512f avx512_vnni avx512_bf16").</summary>
    public static string Summary()
    {
        var wanted = Flags.Value.Where(f => f == "avx2" || f.StartsWith("avx512", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal) || f == "avx_vnni")
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (wanted.Count == 0) wanted.Add(Dp.IsSupported ? "arm-dotprod" : AvxVnni.IsSupported ? "avx_vnni" : Avx2.IsSupported ? "avx2" : "no-simd-flags-read");
        return string.Join(" ", wanted);
    }

    /// <summary>Resolves "fp32"/"float32", "int8" or "auto" (int8 only where int8 dot products are native).</summary>
    public static OnnxPrecision ResolveOnnxPrecision(string choice) => choice.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => OnnxPrecision.Float32,
        "int8" => OnnxPrecision.Int8,
        "auto" => HasNativeInt8Dot ? OnnxPrecision.Int8 : OnnxPrecision.Float32,
        _ => throw new ArgumentException($"unknown precision '{choice}' (use fp32, int8 or auto)."),
    };

    private static HashSet<string> ReadFlags()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return set;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                foreach (var f in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)) set.Add(f);
                break;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return set;
    }
}
