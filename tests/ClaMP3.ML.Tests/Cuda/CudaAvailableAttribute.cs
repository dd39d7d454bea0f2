using TorchSharp;

namespace ClaMP3.ML.Tests.Cuda;

/// <summary>Runs a test only where libtorch sees a CUDA device; elsewhere MSTest reports it as skipped with the reason.
/// Pair with <c>[TestCategory("cuda")]</c> so that <c>--filter TestCategory=cuda</c> selects exactly the GPU checks
/// (<c>scripts/gpu-check.sh</c> runs them on a lent GPU machine).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class CudaAvailableAttribute : ConditionBaseAttribute
{
    public CudaAvailableAttribute() : base(ConditionMode.Include) =>
        IgnoreMessage = "skipped: torch.cuda.is_available() is false (no CUDA device or no CUDA libtorch here); " +
                        "run scripts/gpu-check.sh on a GPU machine (README, GPU section)";

    public override bool IsConditionMet => IsAvailable;

    public override string GroupName => "cuda";

    /// <summary>Asked once per process: loading libtorch's CUDA probe is not free.</summary>
    public static bool IsAvailable => Probe.Value;

    private static readonly Lazy<bool> Probe = new(() =>
    {
        try { return torch.cuda.is_available(); }
        catch (Exception) { return false; } // a CPU-only libtorch without the CUDA probe counts as "no CUDA"
    });
}
