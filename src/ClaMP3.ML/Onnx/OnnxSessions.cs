using Microsoft.ML.OnnxRuntime;

namespace ClaMP3.ML.Onnx;

/// <summary>How ONNX Runtime sessions are made: all graph optimisations, <c>threads</c> intra-op threads
/// (0 = ORT's default, one per core), sequential execution, and no spinning: after a call the pool threads sleep
/// instead of busy-waiting (they would steal the CPU from libtorch or from other processes).</summary>
public static class OnnxSessions
{
    /// <summary>A session for <paramref name="path"/>; a model ORT cannot read is reported naming the file.</summary>
    public static InferenceSession Create(string path, int threads, bool useCuda)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (default) or positive.");
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        try
        {
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
            if (useCuda) AppendCuda(options);
            try { return new InferenceSession(path, options); }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException($"{path}: ONNX Runtime cannot load this model ({e.Message.Split('\n')[0]}).");
            }
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>Fails now, with the package to reference, when the CUDA execution provider cannot be used (checked when
    /// an engine is made, so that a batch job stops before its first file instead of failing every file).</summary>
    public static void RequireCuda()
    {
        using var options = new SessionOptions();
        AppendCuda(options);
    }

    private static void AppendCuda(SessionOptions options)
    {
        try { options.AppendExecutionProvider_CUDA(0); }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new ArgumentException(
                "the CUDA execution provider is not available: reference Microsoft.ML.OnnxRuntime.Gpu.Linux (or .Gpu.Windows) instead of " +
                $"Microsoft.ML.OnnxRuntime, with CUDA 12 and cuDNN 9 installed ({e.Message.Split('\n')[0]}).");
        }
    }

    /// <summary>"cpu" or "cuda"/"cuda:N" (only device 0 is used by the ORT engines).</summary>
    public static bool IsCuda(string? device) =>
        device is not null && device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
}
