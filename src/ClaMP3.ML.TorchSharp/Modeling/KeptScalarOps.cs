using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling;

/// <summary>
/// Tensor arithmetic that keeps its <see cref="Scalar"/>s alive for the whole native call: the one place allowed to
/// create Scalars and to use TorchSharp's tensor operators (the rest of the code is held to it by the banned-API
/// analyzer, see <c>BannedSymbols.txt</c> at the repository root).
/// </summary>
/// <remarks>TorchSharp 0.107 hands a Scalar's native handle to libtorch without keeping the managed object reachable,
/// and Scalars have finalizers. An implicitly created Scalar — the hidden <c>alpha = 1</c> of <c>a + b</c>, or the
/// double in <c>x * 0.5</c> — can therefore be finalized by a garbage collection on another thread while libtorch
/// still reads it (seen here as random crashes in <c>add</c> under a PredictionEngine loop and in training). These
/// helpers keep constants in static fields and hold every other Scalar by a <c>using</c> until the call returns.
/// Tensor-with-tensor products and quotients take no Scalar; they are here so that one rule (no operators on tensors)
/// covers everything. Remove the rule when TorchSharp disposes or keeps alive the Scalars it creates implicitly:
/// upstream dotnet/TorchSharp#1434 and dotnet/TorchSharp#1496 (open pull requests when this was written).</remarks>
#pragma warning disable RS0030 // the banned implicit Scalars are created here, each held until its native call returns
public static class KeptScalarOps
{
    private static readonly Scalar One = 1; // static: reachable for the life of the process

    /// <summary><paramref name="op"/> with <paramref name="value"/> as a Scalar held until the call returns.</summary>
    private static Tensor WithScalar(Tensor a, double value, Func<Tensor, Scalar, Tensor> op)
    {
        using Scalar s = value;
        return op(a, s);
    }

    /// <summary><paramref name="op"/> with <paramref name="value"/> as an integer Scalar held until the call returns.</summary>
    private static Tensor WithScalar(Tensor a, long value, Func<Tensor, Scalar, Tensor> op)
    {
        using Scalar s = value;
        return op(a, s);
    }

    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    public static Tensor Plus(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.add(s, One));

    public static Tensor Plus(this Tensor a, long value) => WithScalar(a, value, static (t, s) => t.add(s, One));

    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    public static Tensor Minus(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.sub(s));

    public static Tensor Times(this Tensor a, Tensor b) => a.mul(b);

    public static Tensor Times(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.mul(s));

    public static Tensor Times(this Tensor a, long value) => WithScalar(a, value, static (t, s) => t.mul(s));

    public static Tensor TimesInPlace(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.mul_(s));

    public static Tensor DividedBy(this Tensor a, Tensor b) => a.div(b);

    public static Tensor DividedBy(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.div(s));

    public static Tensor DividedByInPlace(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.div_(s));

    /// <summary><c>input + value · t1 · t2</c> (<c>addcmul</c>).</summary>
    public static Tensor AddCMul(this Tensor input, Tensor t1, Tensor t2, double value)
    {
        using Scalar s = value;
        return input.addcmul(t1, t2, s);
    }

    public static Tensor NotEqual(this Tensor a, long value) => WithScalar(a, value, static (t, s) => t.ne(s));

    public static Tensor LessThan(this Tensor a, long value) => WithScalar(a, value, static (t, s) => t.lt(s));

    public static Tensor GreaterOrEqual(this Tensor a, long value) => WithScalar(a, value, static (t, s) => t.ge(s));

    public static Tensor FillInPlace(this Tensor a, double value) => WithScalar(a, value, static (t, s) => t.fill_(s));

    /// <summary><c>arange(start, stop, step)</c> (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long start, long stop, long step, Device? device = null, ScalarType dtype = ScalarType.Int64)
    {
        using Scalar from = start, to = stop, by = step;
        return arange(from, to, by, dtype: dtype, device: device);
    }

    /// <summary><c>arange(stop)</c> (int64 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Tensor Arange(long stop, Device? device = null, ScalarType dtype = ScalarType.Int64) => Arange(0, stop, 1, device, dtype);
}
#pragma warning restore RS0030
