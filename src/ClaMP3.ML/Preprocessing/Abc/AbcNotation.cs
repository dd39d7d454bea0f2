using System.Text.RegularExpressions;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>The ABC lexical rules of abctoolkit: barline symbols, wrapped content (<c>"…"</c>, <c>!…!</c>,
/// <c>[…]</c>, <c>{…}</c>) and the helpers that remove it.</summary>
internal static class AbcNotation
{
    /// <summary>abctoolkit's <c>Barlines</c> (the newer list, PREPROCESS.md §3.4). The order matters: the split regex
    /// takes the first alternative that matches at a position, as Python's <c>re</c> does.</summary>
    public static readonly string[] Barlines = ["||:", ":||", "[|:", ":|]", "|]:", ":[|", "|:", "::", ":|", "[|", "||", "|]", "|"];

    private static readonly HashSet<string> BarlineSet = new(Barlines, StringComparer.Ordinal);

    /// <summary><c>re.split(Barline_regexPattern, …)</c>: the capturing group keeps the barlines in the result.</summary>
    public static readonly Regex BarlineSplit = new(
        "(" + string.Join("|", Barlines.Select(Regex.Escape)) + ")", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary><c>"[^"]*"</c>: a quoted chord symbol or annotation.</summary>
    public static readonly Regex Quote = new("\"[^\"]*\"", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly Regex Exclaim = new("![^!]+!", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    public static readonly Regex SquareBracket = new(@"\[[^\]]+\]", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex Brace = new(@"\{[^}]+\}", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public static bool IsBarline(string s) => BarlineSet.Contains(s);

    /// <summary>Removes decorations <c>!…!</c> (<c>remove_wrapped_content(…, ['!!'])</c>).</summary>
    public static string RemoveDecorations(string text) => Exclaim.Replace(text, "");

    /// <summary><c>remove_wrapped_content(text, ['!!', '{}', '""'])</c>: the toolkit removes quotes first, then
    /// decorations, then grace-note braces.</summary>
    public static string RemoveQuotesDecorationsAndGraceNotes(string text) =>
        Brace.Replace(Exclaim.Replace(Quote.Replace(text, ""), ""), "");

    /// <summary><c>remove_square_bracket_information_field</c>: drops every <c>[X:…]</c> found in the original text
    /// (each removal replaces all its occurrences, in match order).</summary>
    public static string RemoveInlineFields(string text)
    {
        var result = text;
        foreach (Match m in SquareBracket.Matches(text))
        {
            var s = m.Value;
            if (IsInlineField(s)) result = result.Replace(s, "", StringComparison.Ordinal);
        }
        return result;
    }

    // match[1].isalpha() and match[2] == ':' on code points (a match is at least 3 code points long).
    private static bool IsInlineField(string match)
    {
        System.Text.Rune.DecodeFromUtf16(match.AsSpan(1), out var second, out int consumed);
        int third = 1 + consumed;
        return System.Text.Rune.IsLetter(second) && third < match.Length && match[third] == ':';
    }

    /// <summary><c>remove_quote_text_annotations</c>: drops <c>"^…"</c>, <c>"_…"</c>, <c>"&lt;…"</c>, <c>"&gt;…"</c>,
    /// <c>"@…"</c> annotations but keeps chord symbols such as <c>"Am"</c>.</summary>
    public static string RemoveTextAnnotations(string text)
    {
        var result = text;
        foreach (Match m in Quote.Matches(text))
        {
            var s = m.Value;
            if (s[1] is '^' or '_' or '<' or '>' or '@') result = result.Replace(s, "", StringComparison.Ordinal);
        }
        return result;
    }
}
