using System.Globalization;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>The CPython 3.11 string and number rules the official MIDI scripts depend on beyond
/// <see cref="PythonStrings"/> (<c>str.splitlines</c>, the <c>unicode_escape</c> codec, <c>float()</c>, <c>int()</c>).
/// They are spelled out here because .NET's nearest equivalents differ in small ways that change the bytes.</summary>
internal static class PythonText
{
    /// <summary>Python's <c>str.splitlines()</c>: breaks on \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029,
    /// no empty item after a final line break.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            bool isBreak = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!isBreak) { i++; continue; }
            lines.Add(s[start..i]);
            i += c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
            start = i;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary><c>s.encode('unicode_escape').decode('utf-8')</c>.</summary>
    public static void AppendUnicodeEscaped(StringBuilder sb, string s)
    {
        foreach (var rune in s.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || (c >= 0x7f && c < 0x100)) sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
                    else if (c >= 0x10000) sb.Append("\\U").Append(c.ToString("x8", CultureInfo.InvariantCulture));
                    else if (c >= 0x100) sb.Append("\\u").Append(c.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append((char)c);
                    break;
            }
        }
    }

    public static bool NeedsUnicodeEscape(string s)
    {
        foreach (char c in s)
            if (c < 0x20 || c >= 0x7f || c == '\\') return true;
        return false;
    }

    /// <summary><c>s.encode('utf-8').decode('unicode_escape')</c>: the UTF-8 bytes are read as latin-1 except for
    /// backslash escapes. Throws <see cref="FormatException"/> with CPython's message for a malformed escape.</summary>
    public static string DecodeUnicodeEscape(string s)
    {
        if (s.IndexOf('\\') < 0 && IsAscii(s)) return s;
        byte[] b = Encoding.UTF8.GetBytes(s);
        var sb = new StringBuilder(b.Length);
        int i = 0;
        while (i < b.Length)
        {
            if (b[i] != (byte)'\\') { sb.Append((char)b[i]); i++; continue; }
            int start = i;
            i++;
            if (i >= b.Length) throw new FormatException($"'unicodeescape' codec can't decode byte 0x5c in position {start}: \\ at end of string");
            char e = (char)b[i++];
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case >= '0' and <= '7':
                {
                    int value = e - '0';
                    for (int k = 0; k < 2 && i < b.Length && b[i] >= '0' && b[i] <= '7'; k++) value = value * 8 + (b[i++] - '0');
                    sb.Append((char)value);
                    break;
                }
                case 'x': AppendHexEscape(sb, b, ref i, start, 2, "truncated \\xXX escape"); break;
                case 'u': AppendHexEscape(sb, b, ref i, start, 4, "truncated \\uXXXX escape"); break;
                case 'U': AppendHexEscape(sb, b, ref i, start, 8, "truncated \\UXXXXXXXX escape"); break;
                case 'N':
                    throw new FormatException($"'unicodeescape' escape \\N{{...}} at position {start} (named Unicode characters) is not supported by this port");
                default:
                    // CPython keeps an unknown escape as it is (with a DeprecationWarning).
                    sb.Append('\\');
                    i--;
                    break;
            }
        }
        return sb.ToString();
    }

    private static void AppendHexEscape(StringBuilder sb, byte[] b, ref int i, int start, int digits, string what)
    {
        int value = 0, n = 0;
        while (n < digits && i < b.Length && Uri.IsHexDigit((char)b[i]))
        {
            value = (value << 4) | Convert.ToInt32(((char)b[i]).ToString(), 16);
            i++; n++;
        }
        if (n < digits)
            throw new FormatException($"'unicodeescape' codec can't decode bytes in position {start}-{i - 1}: {what}");
        if ((uint)value > 0x10ffff)
            throw new FormatException($"'unicodeescape' codec can't decode bytes in position {start}-{i - 1}: illegal Unicode character");
        sb.Append(char.ConvertFromUtf32(value >= 0xd800 && value <= 0xdfff ? 0xfffd : value));
    }

    private static bool IsAscii(string s)
    {
        foreach (char c in s) if (c >= 0x80) return false;
        return true;
    }

    /// <summary>Python's <c>float(str)</c>. Returns false where CPython raises
    /// <c>ValueError: could not convert string to float</c>. (Non-ASCII digits, which CPython accepts, are rejected.)</summary>
    public static bool TryParseFloat(string token, out double value)
    {
        if (TryParsePlainInt(token, out long plain)) { value = plain; return true; }
        value = 0;
        string s = PythonStrings.Strip(token);
        if (s.Length == 0) return false;
        int i = 0;
        bool negative = false;
        if (s[0] is '+' or '-') { negative = s[0] == '-'; i = 1; }
        string rest = s[i..].ToLowerInvariant();
        if (rest is "inf" or "infinity") { value = negative ? double.NegativeInfinity : double.PositiveInfinity; return true; }
        if (rest == "nan") { value = double.NaN; return true; }
        var clean = new StringBuilder(s.Length);
        if (negative) clean.Append('-');
        int digitsBefore = ReadDigits(s, ref i, clean);
        if (digitsBefore < 0) return false;
        int digitsAfter = 0;
        if (i < s.Length && s[i] == '.')
        {
            clean.Append('.');
            i++;
            digitsAfter = ReadDigits(s, ref i, clean);
            if (digitsAfter < 0) return false;
        }
        if (digitsBefore + digitsAfter == 0) return false;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            clean.Append('e');
            i++;
            if (i < s.Length && s[i] is '+' or '-') clean.Append(s[i++]);
            if (ReadDigits(s, ref i, clean) <= 0) return false;
        }
        if (i != s.Length) return false;
        value = double.Parse(clean.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Python's <c>int(str)</c> (base 10). Out-of-range magnitudes saturate at ±<see cref="long.MaxValue"/>:
    /// every caller here rejects such values anyway, with the same message CPython gives for any out-of-range value.</summary>
    public static bool TryParseInt(string token, out long value)
    {
        if (TryParsePlainInt(token, out value)) return true;
        value = 0;
        string s = PythonStrings.Strip(token);
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-') { negative = s[0] == '-'; i = 1; }
        var digits = new StringBuilder();
        if (ReadDigits(s, ref i, digits) <= 0 || i != s.Length) return false;
        string d = digits.ToString().TrimStart('0');
        if (d.Length > 18) { value = negative ? -long.MaxValue : long.MaxValue; return true; }
        value = d.Length == 0 ? 0 : long.Parse(d, CultureInfo.InvariantCulture);
        if (negative) value = -value;
        return true;
    }

    /// <summary>Fast path for the common token: an optional '-' and 1 to 15 ASCII digits (exact as a double too).</summary>
    public static bool TryParsePlainInt(string token, out long value)
    {
        value = 0;
        int i = token.Length > 0 && token[0] == '-' ? 1 : 0;
        if (token.Length - i is < 1 or > 15) return false;
        for (int k = i; k < token.Length; k++)
        {
            char c = token[k];
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        if (i == 1) value = -value;
        return true;
    }

    /// <summary>Reads ASCII digits with single underscores between them (Python's numeric literal rule);
    /// returns the number of digits, or -1 for a misplaced underscore.</summary>
    private static int ReadDigits(string s, ref int i, StringBuilder into)
    {
        int count = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c is >= '0' and <= '9') { into.Append(c); count++; i++; }
            else if (c == '_' && count > 0 && i + 1 < s.Length && s[i + 1] is >= '0' and <= '9') i++;
            else break;
        }
        return count;
    }

    /// <summary>Python's <c>repr(float)</c> / <c>str(float)</c>.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E'))
        {
            // .NET: 1E+16 / 1E-05; Python: 1e+16 / 1e-05.
            int e = r.IndexOf('E');
            string mantissa = r[..e];
            int exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
            return mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return r.Contains('.') ? r : r + ".0";
    }
}
