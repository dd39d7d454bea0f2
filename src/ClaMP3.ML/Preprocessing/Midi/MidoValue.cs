using System.Globalization;
using System.Numerics;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

internal enum MidoValueKind : byte { Int, BigInt, Float, Str, List, Tuple }

/// <summary>One attribute value of a mido message, as dynamically typed as in Python: an int (beyond 64 bits only for
/// a time-signature denominator 2**k or a huge MTF number), a float (only
/// <c>smpte_offset</c>'s 29.97 frame rate), a str (meta text, key names, or a raw MTF token), a list (sysex data) or a
/// tuple (sequencer_specific / unknown_meta data). <see cref="ToString"/> is Python's <c>str()</c> of the value,
/// which is what an MTF line is made of.</summary>
internal readonly struct MidoValue
{
    public MidoValueKind Kind { get; }
    public long Int { get; }
    public double Float { get; }
    private readonly object? _ref;
    public string? Str => _ref as string;
    /// <summary>Items of a list or tuple (ints; values beyond ±int range are saturated, see <see cref="PythonText.TryParseInt"/>).</summary>
    public int[]? Items => _ref as int[];
    public BigInteger Big => Kind == MidoValueKind.BigInt ? (BigInteger)_ref! : new BigInteger(Int);

    private MidoValue(MidoValueKind kind, long i = 0, double f = 0, object? reference = null)
    {
        Kind = kind; Int = i; Float = f; _ref = reference;
    }

    public static MidoValue FromInt(long value) => new(MidoValueKind.Int, i: value);
    public static MidoValue FromFloat(double value) => new(MidoValueKind.Float, f: value);
    public static MidoValue FromStr(string value) => new(MidoValueKind.Str, reference: value);
    public static MidoValue FromList(int[] items) => new(MidoValueKind.List, reference: items);
    public static MidoValue FromTuple(int[] items) => new(MidoValueKind.Tuple, reference: items);

    /// <summary>An int; stored as a <see cref="BigInteger"/> only when it does not fit a long.</summary>
    public static MidoValue FromBig(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? FromInt((long)value) : new(MidoValueKind.BigInt, f: (double)value, reference: value);

    public static readonly MidoValue EmptyTuple = FromTuple([]);

    /// <summary>A long-sized int (what every attribute but a denominator or a time must be).</summary>
    public bool IsInt => Kind == MidoValueKind.Int;
    /// <summary><c>isinstance(v, Integral)</c>.</summary>
    public bool IsIntegral => Kind is MidoValueKind.Int or MidoValueKind.BigInt;
    /// <summary><c>isinstance(v, Real)</c>.</summary>
    public bool IsNumber => Kind is MidoValueKind.Int or MidoValueKind.BigInt or MidoValueKind.Float;

    /// <summary>Python's name of the value's type, for error messages.</summary>
    public string PythonTypeName => Kind switch
    {
        MidoValueKind.Int or MidoValueKind.BigInt => "int", MidoValueKind.Float => "float", MidoValueKind.Str => "str",
        MidoValueKind.List => "list", _ => "tuple",
    };

    public override string ToString()
    {
        var sb = new StringBuilder();
        AppendTo(sb);
        return sb.ToString();
    }

    /// <summary>Appends Python's <c>str(value)</c>.</summary>
    public void AppendTo(StringBuilder sb)
    {
        switch (Kind)
        {
            case MidoValueKind.Int: sb.Append(Int.ToString(CultureInfo.InvariantCulture)); break;
            case MidoValueKind.BigInt: sb.Append(Big.ToString(CultureInfo.InvariantCulture)); break;
            case MidoValueKind.Float: sb.Append(PythonText.FormatFloat(Float)); break;
            case MidoValueKind.Str: sb.Append(Str); break;
            default:
            {
                bool tuple = Kind == MidoValueKind.Tuple;
                sb.Append(tuple ? '(' : '[');
                var items = Items!;
                for (int k = 0; k < items.Length; k++)
                {
                    if (k > 0) sb.Append(", ");
                    sb.Append(items[k].ToString(CultureInfo.InvariantCulture));
                }
                if (tuple && items.Length == 1) sb.Append(',');
                sb.Append(tuple ? ')' : ']');
                break;
            }
        }
    }
}
