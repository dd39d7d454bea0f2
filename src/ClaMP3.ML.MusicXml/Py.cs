using System.Globalization;
using System.Numerics;
using System.Text;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.ML.MusicXml;

/// <summary>A Python exception the original script would have raised (and caught in its main loop, writing no
/// output). <see cref="PythonType"/> is the Python class name, e.g. <c>KeyError</c>.</summary>
public sealed class PythonStyleException : Exception
{
    public string PythonType { get; }
    public PythonStyleException(string pythonType, string message) : base(message) => PythonType = pythonType;
    public override string ToString() => $"<class '{PythonType}'>: {Message}";
}

/// <summary>Python 3 semantics the port depends on: int()/float() parsing, floor division, str.strip's whitespace,
/// printf-style float rounding, code-point lengths and negative indexing.</summary>
internal static class Py
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static PythonStyleException KeyError(object? key) => new("KeyError", Repr(key));
    public static PythonStyleException ValueError(string msg) => new("ValueError", msg);
    public static PythonStyleException TypeError(string msg) => new("TypeError", msg);
    public static PythonStyleException IndexError(string msg) => new("IndexError", msg);
    public static PythonStyleException AttributeError(string msg) => new("AttributeError", msg);
    public static PythonStyleException ZeroDivision() => new("ZeroDivisionError", "integer division or modulo by zero");

    public static string Repr(object? o) => o switch
    {
        null => "None",
        string s => PythonStrings.Repr(s),
        bool b => b ? "True" : "False",
        IEnumerable<string> xs => "[" + string.Join(", ", xs.Select(Repr)) + "]",
        IFormattable f => f.ToString(null, Inv),
        _ => o.ToString() ?? "",
    };

    public static string Str(object? o) => o switch
    {
        null => "None",
        string s => s,
        IFormattable f => f.ToString(null, Inv),
        _ => o.ToString() ?? "",
    };

    public static string D(long v) => v.ToString(Inv);

    /// <summary>Python's <c>'%+d'</c>.</summary>
    public static string SignedD(long v) => (v >= 0 ? "+" : "") + v.ToString(Inv);

    /// <summary>Python <c>int(text)</c> for a str: surrounding whitespace, a sign, decimal digits with single
    /// underscores between them.</summary>
    public static long Int(string? text)
    {
        if (text == null) throw TypeError("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
        var s = Strip(text);
        int i = 0;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        if (i >= s.Length) throw InvalidInt(text);
        BigInteger value = BigInteger.Zero;
        bool lastUnderscore = true; // forbids a leading underscore
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '_')
            {
                if (lastUnderscore) throw InvalidInt(text);
                lastUnderscore = true;
                continue;
            }
            int digit = char.IsDigit(c) ? (int)char.GetNumericValue(c) : -1;
            if (digit < 0) throw InvalidInt(text);
            value = value * 10 + digit;
            lastUnderscore = false;
        }
        if (lastUnderscore) throw InvalidInt(text);
        if (neg) value = -value;
        if (value > long.MaxValue || value < long.MinValue) throw new PythonStyleException("OverflowError", "integer too large for this port");
        return (long)value;
    }

    private static PythonStyleException InvalidInt(string text) => ValueError($"invalid literal for int() with base 10: {Repr(text)}");

    /// <summary>Python <c>float(text)</c>.</summary>
    public static double Float(string? text)
    {
        if (text == null) throw TypeError("float() argument must be a string or a real number, not 'NoneType'");
        var s = Strip(text).Replace("_", "");
        if (Strip(text).Contains("__") || Strip(text).StartsWith('_') || Strip(text).EndsWith('_')) throw FloatError(text);
        var lower = s.ToLowerInvariant();
        var body = lower.TrimStart('+', '-');
        bool neg = lower.StartsWith('-');
        if (lower.Length - body.Length > 1) throw FloatError(text);
        if (body is "inf" or "infinity") return neg ? double.NegativeInfinity : double.PositiveInfinity;
        if (body == "nan") return double.NaN;
        // digits [. digits] [e [sign] digits], at least one digit in the mantissa
        int i = 0, mant = 0;
        while (i < body.Length && body[i] is >= '0' and <= '9') { i++; mant++; }
        if (i < body.Length && body[i] == '.') { i++; while (i < body.Length && body[i] is >= '0' and <= '9') { i++; mant++; } }
        if (mant == 0) throw FloatError(text);
        if (i < body.Length && body[i] == 'e')
        {
            i++;
            if (i < body.Length && (body[i] == '+' || body[i] == '-')) i++;
            int ed = 0;
            while (i < body.Length && body[i] is >= '0' and <= '9') { i++; ed++; }
            if (ed == 0) throw FloatError(text);
        }
        if (i != body.Length) throw FloatError(text);
        return double.Parse(lower, NumberStyles.Float, Inv);
    }

    private static PythonStyleException FloatError(string text) => ValueError($"could not convert string to float: {Repr(text)}");

    public static long FloorDiv(long a, long b)
    {
        if (b == 0) throw ZeroDivision();
        long q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    public static long Mod(long a, long b)
    {
        if (b == 0) throw ZeroDivision();
        long r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }

    public static string Strip(string s) => PythonStrings.Strip(s);

    /// <summary>Python <c>len(str)</c>: code points, not UTF-16 units.</summary>
    public static int Len(string s) => PythonStrings.CodePointLength(s);

    /// <summary>Python's <c>'%.Nf' % x</c>: round half to even on the exact binary value (as C printf does).</summary>
    public static string FormatFixed(double x, int decimals)
    {
        if (double.IsNaN(x)) return "nan";
        if (double.IsInfinity(x)) return x > 0 ? "inf" : "-inf";
        bool neg = x < 0 || (x == 0 && double.IsNegative(x));
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(x));
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mant = exp == 0 ? frac : frac | (1L << 52);
        int e2 = (exp == 0 ? 1 : exp) - 1075; // value = mant * 2^e2
        // scaled = value * 10^decimals, rounded half-even
        BigInteger num = mant * BigInteger.Pow(10, decimals), den = BigInteger.One;
        if (e2 >= 0) num <<= e2; else den <<= -e2;
        BigInteger q = BigInteger.DivRem(num, den, out var r);
        int cmp = (r * 2).CompareTo(den);
        if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        var digits = q.ToString(Inv).PadLeft(decimals + 1, '0');
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        sb.Append(digits, 0, digits.Length - decimals);
        if (decimals > 0) sb.Append('.').Append(digits, digits.Length - decimals, decimals);
        return sb.ToString();
    }

    /// <summary>Python <c>list[i]</c> with negative indexing.</summary>
    public static T At<T>(IReadOnlyList<T> xs, long i)
    {
        long j = i < 0 ? i + xs.Count : i;
        if (j < 0 || j >= xs.Count) throw IndexError("list index out of range");
        return xs[(int)j];
    }

    /// <summary>Python slice bounds <c>xs[start:stop]</c> clamped as Python does.</summary>
    public static List<T> Slice<T>(IReadOnlyList<T> xs, long? start, long? stop)
    {
        long n = xs.Count;
        long a = start ?? 0, b = stop ?? n;
        if (a < 0) a = Math.Max(0, a + n); else a = Math.Min(a, n);
        if (b < 0) b = Math.Max(0, b + n); else b = Math.Min(b, n);
        var res = new List<T>();
        for (long i = a; i < b; i++) res.Add(xs[(int)i]);
        return res;
    }

    /// <summary>Python's <c>re</c> <c>\w</c> for str patterns: alphanumerics (str.isalnum) and underscore.</summary>
    public static bool IsWordChar(string s, int i)
    {
        if (s[i] == '_') return true;
        var cat = CharUnicodeInfo.GetUnicodeCategory(s, i);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}
