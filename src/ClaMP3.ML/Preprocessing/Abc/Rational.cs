using System.Numerics;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>An exact rational number (Python's <c>fractions.Fraction</c>, for the durations the toolkit sums).</summary>
internal readonly record struct Rational
{
    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }

    public Rational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero) throw new AbcToolkitException($"Fraction({numerator}, 0)");
        if (denominator.Sign < 0) { numerator = -numerator; denominator = -denominator; }
        var g = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!g.IsOne && !g.IsZero) { numerator /= g; denominator /= g; }
        Numerator = numerator;
        Denominator = denominator;
    }

    public static readonly Rational Zero = new(0, 1);
    public static readonly Rational One = new(1, 1);
    public static readonly Rational MinusOne = new(-1, 1);

    public static Rational operator +(Rational a, Rational b) =>
        a.Denominator == b.Denominator ? new(a.Numerator + b.Numerator, a.Denominator)
            : new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator -(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator - b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator *(Rational a, Rational b) =>
        new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static Rational Abs(Rational a) => new(BigInteger.Abs(a.Numerator), a.Denominator);
    public int CompareTo(Rational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);

    public double ToDouble()
    {
        double n = (double)Numerator, d = (double)Denominator;
        if (double.IsFinite(n) && double.IsFinite(d)) return n / d;
        int shift = (int)Math.Max(Numerator.GetBitLength(), Denominator.GetBitLength()) - 1000; // keep both finite
        return (double)(Numerator >> shift) / (double)(Denominator >> shift);
    }

    public override string ToString() => Denominator.IsOne ? Numerator.ToString() : $"{Numerator}/{Denominator}";

    /// <summary><c>Fraction(text)</c> for the texts a bar can leave here: CPython 3.11's
    /// <c>\s* [+-]? \d* (/ \d+)? \s*</c> with at least one digit first (the decimal, exponent and underscore forms
    /// cannot occur: the estimator has removed <c>.</c>, <c>_</c> and letters). Digits of any script count, as
    /// Python's <c>\d</c> and <c>int()</c> read them.</summary>
    public static Rational Parse(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        int i = 0, end = runes.Length;
        while (i < end && IsSpace(runes[i])) i++;
        while (end > i && IsSpace(runes[end - 1])) end--;
        bool negative = false;
        if (i < end && runes[i].Value is '+' or '-') negative = runes[i++].Value == '-';
        int numStart = i;
        while (i < end && Rune.IsDigit(runes[i])) i++;
        var numerator = i > numStart ? DigitsValue(runes.AsSpan(numStart, i - numStart)) : (BigInteger?)null;
        BigInteger denominator = BigInteger.One;
        if (numerator is not null && i < end && runes[i].Value == '/')
        {
            int denStart = ++i;
            while (i < end && Rune.IsDigit(runes[i])) i++;
            denominator = i > denStart ? DigitsValue(runes.AsSpan(denStart, i - denStart)) : BigInteger.MinusOne;
        }
        if (numerator is null || i != end || denominator.Sign < 0)
            throw new AbcToolkitException("Invalid literal for Fraction: " + PythonStrings.Repr(text));
        return new Rational(negative ? -numerator.Value : numerator.Value, denominator);
    }

    private static bool IsSpace(Rune r) => r.IsBmp && PythonStrings.IsSpace((char)r.Value);

    /// <summary><c>int(s)</c> for a string of numeric characters: null unless every code point is a decimal digit
    /// (Python's <c>int()</c> refuses e.g. <c>²</c>, which <c>isnumeric</c> accepts).</summary>
    internal static BigInteger? ParseDigits(string digits)
    {
        var runes = digits.EnumerateRunes().ToArray();
        if (runes.Length == 0 || !runes.All(Rune.IsDigit)) return null;
        return DigitsValue(runes);
    }

    private static BigInteger DigitsValue(ReadOnlySpan<Rune> digits)
    {
        if (digits.Length <= 18)
        {
            long small = 0;
            foreach (var r in digits) small = small * 10 + (long)Rune.GetNumericValue(r);
            return small;
        }
        BigInteger value = BigInteger.Zero;
        foreach (var r in digits) value = value * 10 + (int)Rune.GetNumericValue(r);
        return value;
    }
}
