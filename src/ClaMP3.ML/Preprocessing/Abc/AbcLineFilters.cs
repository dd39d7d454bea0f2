using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>The line clean-up <c>batch_interleaved_abc.py</c> applies before cutting the tune into bars.</summary>
internal static class AbcLineFilters
{
    /// <summary>The fields the official script removes, wherever they are (header or body): reference number, titles,
    /// composer, lyrics (<c>W:</c> and aligned <c>w:</c>), transcription, and MIDI directives.</summary>
    public static readonly IReadOnlyList<string> RemovedFields = ["X:", "T:", "C:", "W:", "w:", "Z:", "%%MIDI"];

    private static readonly Regex FieldLine = new("^[A-Za-z]:", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Drops lines whose strip() is empty.</summary>
    public static List<string> RemoveBlankLines(IEnumerable<string> lines) => lines.Where(l => !PythonStrings.IsBlank(l)).ToList();

    /// <summary><c>remove_information_field</c>: drops every line that starts with one of the fields.</summary>
    public static List<string> RemoveInformationFields(IEnumerable<string> lines, IReadOnlyList<string> fields) =>
        lines.Where(l => !fields.Any(f => l.StartsWith(f, StringComparison.Ordinal))).ToList();

    /// <summary><c>remove_bar_no_annotations</c>: from the tune body on (the last <c>V:1</c> line; none raises
    /// <c>tunebody index not found.</c>), a trailing <c>%&lt;digits&gt;\n</c> becomes <c>\n</c>.</summary>
    public static List<string> RemoveBarNumberAnnotations(IReadOnlyList<string> lines)
    {
        int body = AbcTuneLayout.FindTuneBodyStart(lines);
        var result = new List<string>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
            result.Add(i < body ? lines[i] : RemoveBarNumberComment(lines[i]));
        return result;
    }

    /// <summary><c>re.sub(r'%\d+\n$', '\n', line)</c>: xml2abc's <c>%12</c> bar count at the end of a line; digits of
    /// any script, as Python's <c>\d</c>. A last line without <c>\n</c> keeps it.</summary>
    internal static string RemoveBarNumberComment(string line)
    {
        if (!line.EndsWith('\n')) return line;
        int start = line.Length - 1;
        while (start > 0 && Rune.DecodeLastFromUtf16(line.AsSpan(0, start), out var rune, out int width) == OperationStatus.Done
               && Rune.IsDigit(rune))
            start -= width;
        bool hasDigits = start < line.Length - 1;
        return hasDigits && start > 0 && line[start - 1] == '%' ? line[..(start - 1)] + "\n" : line;
    }

    /// <summary>
    /// On every line that is not a field (<c>^[A-Za-z]:</c>) and not a comment or directive (<c>%</c>): removes every
    /// escaped quote <c>\"</c>, then removes each <c>"…"</c> string that contains a barline symbol so it cannot be
    /// mistaken for a barline. Quirk kept: the quoted strings are found in, and removed from, the ORIGINAL line, so
    /// when one is removed the <c>\"</c> removal of that line is undone.
    /// </summary>
    public static List<string> RemoveQuotedBarlines(IReadOnlyList<string> lines)
    {
        var result = new List<string>(lines.Count);
        foreach (var original in lines)
        {
            if (FieldLine.IsMatch(original) || original.StartsWith('%')) { result.Add(original); continue; }
            var cleaned = original.Replace("\\\"", "", StringComparison.Ordinal);
            var line = original;
            foreach (Match quote in AbcNotation.Quote.Matches(original))
                foreach (var barline in AbcNotation.Barlines)
                    if (quote.Value.Contains(barline, StringComparison.Ordinal))
                    {
                        line = line.Replace(quote.Value, "", StringComparison.Ordinal);
                        cleaned = line;
                    }
            result.Add(cleaned);
        }
        return result;
    }
}
