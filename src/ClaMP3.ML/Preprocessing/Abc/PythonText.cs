using System.Globalization;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// The Python semantics the official ABC tools depend on beyond <see cref="PythonStrings"/>: <c>str.isnumeric()</c>,
/// universal-newline <c>readlines()</c>, and list and string indexing with Python's IndexError texts.
/// </summary>
internal static class PythonText
{
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
}

/// <summary>An error the official toolkit raises; <see cref="Exception.Message"/> is Python's <c>str(e)</c>, which the
/// official script prints after the file's path.</summary>
internal sealed class AbcToolkitException(string message) : Exception(message);
