using System.Globalization;
using System.Text;

namespace ClaMP3.ML.Preprocessing;

/// <summary>CPython's <c>str</c> rules, the one copy shared by the ports of the official Python converters (ABC, MIDI
/// and MusicXML), whose outputs and messages depend on exactly which characters <c>str.strip()</c> removes, how
/// <c>len()</c> counts and how <c>repr()</c> quotes.</summary>
internal static class PythonStrings
{
    /// <summary><c>str.isspace</c> for one UTF-16 unit: .NET's whitespace plus U+001C..U+001F (file/group/record/unit
    /// separators, which Python counts as whitespace and .NET does not).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    /// <summary><c>str.strip()</c> with no argument.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary><c>s.strip() == ''</c>.</summary>
    public static bool IsBlank(string s)
    {
        foreach (var c in s) if (!IsSpace(c)) return false;
        return true;
    }

    /// <summary><c>len(s)</c>: Python counts code points, not UTF-16 units (a lone surrogate counts as one).</summary>
    public static int CodePointLength(string s)
    {
        int n = s.Length;
        for (int i = 0; i + 1 < s.Length; i++)
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1])) { n--; i++; }
        return n;
    }

    /// <summary><c>repr(s)</c> as CPython prints a str: single quotes unless the text has one and no double quote,
    /// <c>\t \n \r</c> and backslash escaped, other non-printable code points as <c>\xNN</c>, <c>\uNNNN</c> or
    /// <c>\UNNNNNNNN</c>.</summary>
    public static string Repr(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            int v = rune.Value;
            if (v == quote || v == '\\') sb.Append('\\').Append((char)v);
            else if (v == '\t') sb.Append("\\t");
            else if (v == '\n') sb.Append("\\n");
            else if (v == '\r') sb.Append("\\r");
            else if (v < 0x20 || v == 0x7f) sb.Append("\\x").Append(v.ToString("x2", CultureInfo.InvariantCulture));
            else if (v < 0x7f || IsPrintable(rune)) sb.Append(rune.ToString());
            else if (v <= 0xff) sb.Append("\\x").Append(v.ToString("x2", CultureInfo.InvariantCulture));
            else if (v <= 0xffff) sb.Append("\\u").Append(v.ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append("\\U").Append(v.ToString("x8", CultureInfo.InvariantCulture));
        }
        return sb.Append(quote).ToString();
    }

    // Python's str.isprintable: not Cc, Cf, Cs, Co, Cn, Zl, Zp, and Zs other than the ASCII space.
    private static bool IsPrintable(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => rune.Value == ' ',
        _ => true,
    };
}
