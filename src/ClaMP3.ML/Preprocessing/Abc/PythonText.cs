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
    /// <summary>Python's <c>str.isspace</c> for one UTF-16 unit: .NET's whitespace plus U+001C..U+001F
    /// (file/group/record/unit separators, which Python counts as whitespace and .NET does not).</summary>
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
