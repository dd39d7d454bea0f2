using System.Globalization;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// The few Python <c>str</c> semantics the official ABC tools depend on, so that the port behaves identically on
/// unusual input: whitespace as <c>str.isspace</c>, <c>strip()</c>, <c>len()</c> in code points, <c>repr()</c>,
/// universal-newline <c>readlines()</c>, and list indexing with negative indices.
/// </summary>
internal static class PythonText
{
    public static bool IsSpace(char c) => PythonStrings.IsSpace(c);

    /// <summary><c>str.isnumeric()</c> of the code point at <paramref name="index"/>: the Unicode number categories plus
    /// the Han ideographs that have a numeric value in Unihan (一 二 三 十 百 千 万 零 …), which CPython counts and .NET's
    /// <see cref="char.IsNumber(string, int)"/> does not.</summary>
    public static bool IsNumeric(string s, int index) =>
        char.IsNumber(s, index) || HanNumerals.Contains(CodePointAt(s, index));

    private static int CodePointAt(string s, int index) =>
        char.IsSurrogatePair(s, index) ? char.ConvertToUtf32(s[index], s[index + 1]) : s[index];

    // Code points that are numeric for CPython 3.11 (Unicode 14) without being in a number category.
    private static readonly HashSet<int> HanNumerals =
    [
        0x3405, 0x3483, 0x382A, 0x3B4D, 0x4E00, 0x4E03, 0x4E07, 0x4E09, 0x4E5D, 0x4E8C, 0x4E94, 0x4E96,
        0x4EBF, 0x4EC0, 0x4EDF, 0x4EE8, 0x4F0D, 0x4F70, 0x5104, 0x5146, 0x5169, 0x516B, 0x516D, 0x5341,
        0x5343, 0x5344, 0x5345, 0x534C, 0x53C1, 0x53C2, 0x53C3, 0x53C4, 0x56DB, 0x58F1, 0x58F9, 0x5E7A,
        0x5EFE, 0x5EFF, 0x5F0C, 0x5F0D, 0x5F0E, 0x5F10, 0x62FE, 0x634C, 0x67D2, 0x6F06, 0x7396, 0x767E,
        0x8086, 0x842C, 0x8CAE, 0x8CB3, 0x8D30, 0x9621, 0x9646, 0x964C, 0x9678, 0x96F6, 0xF96B, 0xF973,
        0xF978, 0xF9B2, 0xF9D1, 0xF9D3, 0xF9FD, 0x20001, 0x20064, 0x200E2, 0x20121, 0x2092A, 0x20983, 0x2098C,
        0x2099C, 0x20AEA, 0x20AFD, 0x20B19, 0x22390, 0x22998, 0x23B1B, 0x2626D, 0x2F890,
    ];

    public static string Strip(string s) => PythonStrings.Strip(s);

    /// <summary><c>s.strip() == ''</c>.</summary>
    public static bool IsBlank(string s)
    {
        foreach (var c in s) if (!IsSpace(c)) return false;
        return true;
    }

    /// <summary><c>len(s)</c>: Python counts code points, not UTF-16 units.</summary>
    public static int CodePointLength(string s)
    {
        int n = s.Length;
        for (int i = 0; i + 1 < s.Length; i++)
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1])) { n--; i++; }
        return n;
    }

    /// <summary><c>str.isalpha()</c> of each code point of <paramref name="s"/>, in order.</summary>
    public static IEnumerable<(Rune Rune, bool IsAlpha)> CodePoints(string s)
    {
        foreach (var rune in s.EnumerateRunes()) yield return (rune, Rune.IsLetter(rune));
    }

    /// <summary>
    /// <c>open(path, 'r', encoding='utf-8').readlines()</c> applied to already-decoded text: universal newlines
    /// (<c>\r\n</c> and a lone <c>\r</c> become <c>\n</c>), each line keeps its <c>\n</c>, the last one may lack it.
    /// </summary>
    public static List<string> ReadLines(string text)
    {
        var lines = new List<string>();
        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                sb.Append('\n');
                lines.Add(sb.ToString());
                sb.Clear();
            }
            else sb.Append(c);
        }
        if (sb.Length > 0) lines.Add(sb.ToString());
        return lines;
    }

    /// <summary><c>list[i]</c>: negative indices count from the end; out of range raises Python's IndexError text.</summary>
    public static T At<T>(IReadOnlyList<T> list, int index)
    {
        int i = index < 0 ? index + list.Count : index;
        if (i < 0 || i >= list.Count) throw new AbcToolkitException("list index out of range");
        return list[i];
    }

    /// <summary><c>list[i] = value</c> with Python's index rules.</summary>
    public static void Set<T>(IList<T> list, int index, T value)
    {
        int i = index < 0 ? index + list.Count : index;
        if (i < 0 || i >= list.Count) throw new AbcToolkitException("list assignment index out of range");
        list[i] = value;
    }

    /// <summary><c>s[i]</c> for a non-negative index; out of range raises Python's IndexError text.</summary>
    public static char CharAt(string s, int index)
    {
        if (index < 0 || index >= s.Length) throw new AbcToolkitException("string index out of range");
        return s[index];
    }

    /// <summary>Checks <c>s[index]</c> as Python would (IndexError text) and returns the index.</summary>
    public static int CheckIndex(string s, int index)
    {
        if (index < 0 || index >= s.Length) throw new AbcToolkitException("string index out of range");
        return index;
    }

    /// <summary><c>repr(s)</c> as CPython prints a str (used in the ValueError messages the toolkit prints).</summary>
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
            else if (v < 0x20 || v == 0x7f) sb.Append("\\x").Append(v.ToString("x2"));
            else if (v < 0x7f || IsPrintable(rune)) sb.Append(rune.ToString());
            else if (v <= 0xff) sb.Append("\\x").Append(v.ToString("x2"));
            else if (v <= 0xffff) sb.Append("\\u").Append(v.ToString("x4"));
            else sb.Append("\\U").Append(v.ToString("x8"));
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

/// <summary>An error the official toolkit raises; <see cref="Exception.Message"/> is Python's <c>str(e)</c>, which the
/// official script prints after the file's path.</summary>
internal sealed class AbcToolkitException(string message) : Exception(message);
