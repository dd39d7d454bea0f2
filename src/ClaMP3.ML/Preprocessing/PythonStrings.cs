namespace ClaMP3.ML.Preprocessing;

/// <summary>CPython's whitespace rules, shared by the ports of the official Python converters (ABC and MIDI), whose
/// outputs depend on exactly which characters <c>str.strip()</c> removes.</summary>
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
}
