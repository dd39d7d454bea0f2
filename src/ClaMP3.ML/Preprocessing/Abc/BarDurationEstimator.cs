using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Preprocessing.Abc;

/// <summary>
/// <c>abctoolkit.duration.calculate_bartext_duration</c>: a text-only estimate of a bar's length in unit notes, used
/// to check that the voices of each bar agree. It removes <c>!..!</c>, <c>{..}</c>, <c>".."</c> and <c>[X:..]</c>,
/// counts a chord as one note, applies broken rhythms (<c>&gt;</c>/<c>&lt;</c>) and <c>(p:q:r</c> tuplets (rounded
/// within 1/64 of an integer). Where the toolkit prints an error and returns None, this returns null after passing
/// that line to <c>print</c>; the one error it raises (an illegal symbol in a chord) propagates as an
/// <see cref="AbcToolkitException"/>.
/// </summary>
internal static class BarDurationEstimator
{
    private const string NoteLetters = "AaBbCcDdEeFfGgXxZz";
    private const string UselessChars = "PSOsouvUVTM.-)";
    private const string PitchSigns = "_=^',";
    private static readonly Rational TupletTolerance = new(1, 64);

    public static Rational? Estimate(string barText, Action<string> print)
    {
        var text = AbcNotation.RemoveInlineFields(AbcNotation.RemoveQuotesDecorationsAndGraceNotes(barText));
        text = ReplaceChordsByOneNote(text);
        text = text.Replace('x', 'z').Replace('X', 'z');
        try
        {
            return Sum(text);
        }
        catch (Exception e) // the toolkit's try catches everything and prints it
        {
            print(barText + " " + e.Message);
            return null;
        }
    }

    /// <summary>Every <c>[...]</c> left must hold only note letters, pitch signs, brackets and ties; it then counts as
    /// one note <c>C</c>. Anything else (a duration inside the brackets) raises before the toolkit's <c>try</c>.</summary>
    private static string ReplaceChordsByOneNote(string text)
    {
        if (!text.Contains('[')) return text;
        var result = text;
        foreach (Match m in AbcNotation.SquareBracket.Matches(text))
        {
            var chord = m.Value;
            foreach (var c in chord)
                if (!(NoteLetters.Contains(c) || PitchSigns.Contains(c) || c is '[' or ']' or '-'))
                    throw new AbcToolkitException("Illegal symbol in [] " + chord);
            result = result.Replace(chord, "C", StringComparison.Ordinal);
        }
        return result;
    }

    private static Rational Sum(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            if (!UselessChars.Contains(c) && !PitchSigns.Contains(c)) sb.Append(c);
        text = DropOpenParenthesesWithoutNumber(sb.ToString());

        var elements = Tokenize(text);
        var durations = new List<Rational>(elements.Count);
        foreach (var e in elements)
            durations.Add(char.IsLetter(e[0]) ? NoteDuration(e) : Rational.MinusOne); // -1: not known yet

        // Broken rhythm: the pair's total goes on the '>' element, both notes become 0 (Python's i-1 may be -1).
        for (int i = 0; i < elements.Count; i++)
        {
            if (elements[i][0] is not ('<' or '>')) continue;
            var sum = PythonText.At(durations, i - 1) + PythonText.At(durations, i + 1);
            durations[i] = sum;
            PythonText.Set(durations, i - 1, Rational.Zero);
            PythonText.Set(durations, i + 1, Rational.Zero);
        }

        ResolveTuplets(elements, durations);
        var total = Rational.Zero;
        foreach (var d in durations) total += d;
        return total;
    }

    /// <summary>A <c>(</c> not followed by a number is a slur and goes; <c>(3</c> etc. stay as tuplet marks.</summary>
    private static string DropOpenParenthesesWithoutNumber(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(' && (i + 1 == text.Length || !PythonText.IsNumeric(text, i + 1))) continue;
            sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>Elements: a note (a letter up to the next note letter, <c>(</c>, <c>&lt;</c> or <c>&gt;</c>), a tuplet
    /// mark <c>(p:q:r</c>, or a run of <c>&lt;</c>/<c>&gt;</c>; anything else between elements is skipped.</summary>
    private static List<string> Tokenize(string text)
    {
        var elements = new List<string>();
        int index = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (i < index) continue;
            char c = text[i];
            if (NoteLetters.Contains(c))
            {
                index = i + 1;
                while (index < text.Length && !(NoteLetters.Contains(text[index]) || text[index] is '(' or '<' or '>')) index++;
                elements.Add(text[i..index]);
            }
            else if (c == '(')
            {
                index = i + 1;
                // str.isnumeric per code point: an astral digit is two UTF-16 units.
                while (PythonText.IsNumeric(text, PythonText.CheckIndex(text, index)) || text[index] == ':')
                    index += char.IsSurrogatePair(text, index) ? 2 : 1;
                elements.Add(text[i..index]);
            }
            else if (c is '<' or '>')
            {
                index = i + 1;
                while (PythonText.CharAt(text, index) is '<' or '>') index++;
                elements.Add(text[i..index]);
            }
        }
        return elements.Select(PythonStrings.Strip).ToList();
    }

    /// <summary><c>calculate_single_note_duration</c>: the element without its letters is the multiplier
    /// (<c>''</c> → 1, <c>/</c> → 1/2, <c>/n</c> → 1/n, else <c>Fraction(text)</c>, which rejects <c>3/</c> or <c>//</c>).</summary>
    private static Rational NoteDuration(string note)
    {
        var sb = new StringBuilder();
        foreach (var c in PythonStrings.Strip(note))
            if (!char.IsAsciiLetter(c)) sb.Append(c);
        var d = sb.ToString();
        if (d.Length == 0) return Rational.One;
        if (d == "/") return new Rational(1, 2);
        return Rational.Parse(d.StartsWith('/') ? "1" + d : d);
    }

    /// <summary>Each <c>(p:q:r</c> (<c>(3</c> = <c>(3:2:3</c>) takes the next r notes: their total times q/p, rounded
    /// to an integer within 1/64, replaces theirs. Nested tuplets resolve inner first.</summary>
    private static void ResolveTuplets(List<string> elements, List<Rational> durations)
    {
        bool uncertain = durations.Contains(Rational.MinusOne);
        // Each pass resolves at least the last open tuplet or throws; the cap only guards against a port error.
        int passes = 0;
        while (uncertain)
        {
            if (++passes > elements.Count + 1) throw new AbcToolkitException("Uncertain element");
            uncertain = false;
            for (int i = 0; i < elements.Count; i++)
            {
                var e = elements[i];
                if (durations[i] == Rational.MinusOne && e[0] == '(')
                {
                    uncertain = true;
                    var (p, q, r) = ParseTuplet(e);
                    if (p.IsZero || q.IsZero || r.IsZero) throw new AbcToolkitException($"Illegal (p:q:r ({p}:{q}:{r}");
                    int leftBound = i + 1, index = i + 1;
                    BigInteger noteCount = 0;
                    bool locallyUncertain = false;
                    while (noteCount < r)
                    {
                        var element = PythonText.At(elements, index);
                        if (char.IsLetter(element[0])) noteCount++;
                        else if (durations[index] == Rational.MinusOne) { locallyUncertain = true; break; }
                        index++;
                    }
                    if (locallyUncertain) continue;
                    var sum = Rational.Zero;
                    for (int k = leftBound; k < index; k++) sum += durations[k];
                    durations[i] = RoundNearInteger(sum * new Rational(q, p));
                    for (int k = leftBound; k < index; k++) durations[k] = Rational.Zero;
                }
                else if (durations[i] == Rational.MinusOne)
                    throw new AbcToolkitException("Uncertain element");
            }
        }
    }

    private static (BigInteger P, BigInteger Q, BigInteger R) ParseTuplet(string element)
    {
        if (element == "(3") return (3, 2, 3);
        var parts = element.TrimStart('(').Split(':');
        return (ParseInt(PythonText.At(parts, 0)), ParseInt(PythonText.At(parts, 1)), ParseInt(PythonText.At(parts, 2)));
    }

    /// <summary><c>int(s)</c> for a run of numeric characters: only decimal digits are accepted.</summary>
    private static BigInteger ParseInt(string s)
    {
        return Rational.ParseDigits(s) ?? throw new AbcToolkitException("invalid literal for int() with base 10: " + PythonStrings.Repr(s));
    }

    /// <summary><c>round_fraction</c>: snaps to <c>round(float(f))</c> (half to even) when within 1/64.</summary>
    private static Rational RoundNearInteger(Rational f)
    {
        var nearest = new Rational(new BigInteger(Math.Round(f.ToDouble(), MidpointRounding.ToEven)), 1);
        return Rational.Abs(f - nearest).CompareTo(TupletTolerance) <= 0 ? nearest : f;
    }
}
