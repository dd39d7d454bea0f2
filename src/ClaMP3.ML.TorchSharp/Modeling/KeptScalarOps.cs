using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling;

/// <summary>
/// Tensor arithmetic that keeps its <see cref="Scalar"/>s alive for the whole native call.
/// </summary>
/// <remarks>TorchSharp 0.107 hands a Scalar's native handle to libtorch without keeping the managed object reachable,
/// and Scalars have finalizers. An implicitly created Scalar — the hidden <c>alpha = 1</c> of <c>a + b</c>, or the
/// double in <c>x * 0.5</c> — can therefore be finalized by a garbage collection on another thread while libtorch
/// still reads it (seen here as random crashes in <c>add</c> under a PredictionEngine loop and in training). Hot paths
/// use these helpers instead of the operators: the constant lives in a static field, and every other Scalar is held
/// by a <c>using</c> until the call returns.</remarks>
internal static class KeptScalarOps
{
    private static readonly Scalar One = 1; // static: reachable for the life of the process

    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    public static Tensor Plus(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.add(s, One);
    }

    public static Tensor Plus(this Tensor a, long value)
    {
        using Scalar s = value;
        return a.add(s, One);
    }

    public static Tensor Times(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.mul(s);
    }

    public static Tensor Times(this Tensor a, long value)
    {
        using Scalar s = value;
        return a.mul(s);
    }

    public static Tensor TimesInPlace(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.mul_(s);
    }

    public static Tensor DividedBy(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.div(s);
    }

    public static Tensor DividedByInPlace(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.div_(s);
    }

    public static Tensor NotEqual(this Tensor a, long value)
    {
        using Scalar s = value;
        return a.ne(s);
    }

    public static Tensor FillInPlace(this Tensor a, double value)
    {
        using Scalar s = value;
        return a.fill_(s);
    }
}
