using System.Text;

namespace ClaMP3.ML.Tokenization;

/// <summary>
/// Turns any text into ASCII the way CLaMP 3's <c>unidecode(item)</c> call does before patchilizing ABC/MTF text,
/// without Python unidecode's GPL tables: built on the ISC-licensed AnyAscii package plus a small hand-written
/// override map for the code points where the two are known to disagree.
/// </summary>
/// <remarks>
/// <para>Exact (matches unidecode 1.3.6, the version the fixtures use): ASCII (unchanged), U+0080–U+00FF (C1 controls
/// removed, Latin-1 letters and symbols), U+0100–U+017F (Latin Extended-A), U+2000–U+203A (spaces, dashes, quotes,
/// <c>…</c> → <c>...</c>, U+2028/U+2029 → newlines), U+2669–U+266F (music symbols) and U+FEFF (removed). AnyAscii was
/// compared with unidecode code point by code point on these ranges; where they differ (32 code points) a hand-written
/// override gives unidecode's value: Latin-1 and punctuation from the fixture generator's documented values
/// (shared/fixtures/README.md, <i>Deviations</i>), the others from unidecode's behaviour (the music symbols matter for
/// xml2abc output such as <c>nm="B♭ Trumpet"</c> in the real corpus).</para>
/// <para>Known divergences from unidecode elsewhere (AnyAscii's choice is used):</para>
/// <list type="bullet">
/// <item>Characters unidecode has no entry for (emoji, most symbols outside its tables, code points above U+FFFF
/// in general) are deleted by unidecode; AnyAscii often transliterates them (emoji become <c>:name:</c>).</item>
/// <item>CJK ideographs: unidecode appends a space after each syllable (<c>中</c> → <c>"Zhong "</c>); AnyAscii does not.</item>
/// <item>Scripts where the romanisation conventions differ (Cyrillic, Greek, Hebrew, Arabic, Indic, Thai, Hangul…),
/// ligatures, letter-like and mathematical symbols, and other punctuation blocks may give different ASCII strings.</item>
/// </list>
/// <para>Every divergence only changes which ASCII characters end up in an ABC/MTF patch; all output is ASCII (&lt; 128),
/// so patch ids stay valid. Real ABC/MTF text is almost entirely ASCII. Thread-safe (stateless).</para>
/// </remarks>
public static class AsciiTransliterator
{
    // unidecode 1.3.6 values where AnyAscii 0.3.3 gives something else (checked code point by code point for
    // U+0080–U+017F, U+2000–U+203A, U+2669–U+266F and U+FEFF; the other code points of these ranges already agree).
    private static readonly Dictionary<int, string> UnidecodeOverrides = new()
    {
        [0x00A2] = "C/",   // ¢  (AnyAscii: c)
        [0x00A3] = "PS",   // £  (GBP)
        [0x00A4] = "$?",   // ¤  ($)
        [0x00A5] = "Y=",   // ¥  (Y)
        [0x00A7] = "SS",   // §  (S)
        [0x00A9] = "(c)",  // ©  ((C))
        [0x00AE] = "(r)",  // ®  ((R))
        [0x00B7] = "*",    // ·  (-)
        [0x00BC] = " 1/4", // ¼  (1/4)
        [0x00BD] = " 1/2", // ½  (1/2)
        [0x00BE] = " 3/4", // ¾  (3/4)
        [0x00C6] = "AE",   // Æ  (Ae)
        [0x00D7] = "x",    // ×  (*)
        // Latin Extended-A (U+0100–U+017F, composer names: Dvořák, Janáček, Lutosławski agree): the 4 that differ.
        [0x0138] = "k",    // ĸ  (q)
        [0x014A] = "ng",   // Ŋ  (Ng)  unidecode swaps the case of these two
        [0x014B] = "NG",   // ŋ  (ng)
        [0x0152] = "OE",   // Œ  (Oe)
        [0x200B] = " ",    // zero width space ("")
        [0x2014] = "--",   // —  (-)
        [0x2015] = "--",   // ―  (-)
        [0x201A] = ",",    // ‚  (')
        [0x201E] = ",,",   // „  (")
        [0x2023] = "*>",   // ‣  (*)
        [0x2027] = ".",    // ‧  (-)
        [0x2028] = "\n",   // line separator (space)
        [0x2029] = "\n\n", // paragraph separator (space)
        // Music symbols: MuseScore instrument names reach ABC through xml2abc (nm="B♭ Trumpet" in the real corpus).
        // unidecode deletes ♩ ♪ ♫ ♬ ♭ ♮ and keeps ♯ as '#'; AnyAscii gives '#' for all but ♭ ('b').
        [0x2669] = "", [0x266A] = "", [0x266B] = "", [0x266C] = "", [0x266D] = "", [0x266E] = "",
    };

    /// <summary>Returns <paramref name="text"/> itself when it is already ASCII, otherwise its ASCII transliteration.</summary>
    public static string Transliterate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Ascii.IsValid(text)) return text;

        var builder = new StringBuilder(text.Length + 16);
        int asciiRunStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c < 0x80)
            {
                i++;
                continue;
            }
            builder.Append(text, asciiRunStart, i - asciiRunStart);
            // A lone surrogate (impossible in text decoded from UTF-8) is read as U+FFFD.
            Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int consumed);
            i += consumed;
            asciiRunStart = i;
            if (UnidecodeOverrides.TryGetValue(rune.Value, out var replacement))
            {
                builder.Append(replacement);
                continue;
            }
            foreach (byte b in AnyAscii.Transliteration.Transliterate(rune)) builder.Append((char)b);
        }
        builder.Append(text, asciiRunStart, text.Length - asciiRunStart);
        return builder.ToString();
    }
}
