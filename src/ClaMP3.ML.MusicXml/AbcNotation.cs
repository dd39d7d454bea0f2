using System.Text.RegularExpressions;

namespace ClaMP3.ML.MusicXml;

/// <summary>Pitch, key, duration and lyric spelling in ABC (xml2abc's module-level helpers).</summary>
internal static partial class AbcNotation
{
    /// <summary>Divides a and b by their greatest common divisor (Python floor semantics).</summary>
    public static (long, long) Simplify(long a, long b)
    {
        long x = a, y = b;
        while (b != 0) (a, b) = (b, Py.Mod(a, b));
        return (Py.FloorDiv(x, a), Py.FloorDiv(y, a));
    }

    /// <summary>A MusicXML duration as an ABC length with unit L:1/uL (<c>abcdur</c>).</summary>
    public static string Duration(NoteItem nx, long divs, long uL)
    {
        if (nx.Duration == 0) return "";
        var (num, den) = Simplify(uL * nx.Duration, divs * 4);
        if (nx.TimeModification is { } fact)
            (num, den) = Simplify(num * fact.Num, den * fact.Den);
        if (den > 64) // limit the denominator to 64
        {
            double x = (double)num / den;
            double n = Math.Floor(x);
            if (x - n < 0.1 * x) { num = (long)n; den = 1; }
            double num64 = 64.0 * num / den + 1.0e-15; // the script's Python 2 rounding guard
            (num, den) = Simplify((long)Math.Round(num64, MidpointRounding.ToEven), 64);
        }
        if (num == 1)
        {
            if (den == 1) return "";
            if (den == 2) return "/";
            return "/" + Py.D(den);
        }
        if (den == 1) return Py.D(num);
        return Py.D(num) + "/" + Py.D(den);
    }

    [GeneratedRegex(@"([_^]*)([A-Ga-g])([',]*)")]
    private static partial Regex AbcNoteRegex();

    /// <summary>ABC note → MIDI pitch, -1 when it is not a note (<c>abcMid</c>).</summary>
    public static long MidiPitch(string note)
    {
        var r = AbcNoteRegex().Match(note);
        if (!r.Success) return -1;
        string acc = r.Groups[1].Value, n = r.Groups[2].Value, oct = r.Groups[3].Value;
        var nUp = n.ToUpperInvariant();
        long p = 60 + new[] { 0, 2, 4, 5, 7, 9, 11 }["CDEFGAB".IndexOf(nUp, StringComparison.Ordinal)] + (nUp != n ? 12 : 0);
        if (acc.Length > 0) p += (acc[0] == '^' ? 1 : -1) * acc.Length;
        if (oct.Length > 0) p += (oct[0] == '\'' ? 12 : -12) * oct.Length;
        return p;
    }

    private static readonly string[] Nm7 = { "C", "D", "E", "F", "G", "A", "B" };

    /// <summary>The (clef independent) step of a percussion note on the staff (<c>staffStep</c>).</summary>
    public static string StaffStep(string? ptc, long o, string clef, bool tstep)
    {
        long ndif = 0;
        if (clef.Contains("stafflines=1", StringComparison.Ordinal)) ndif += 4; // one line: E (xml) -> B (abc)
        if (!tstep && clef.StartsWith("bass", StringComparison.Ordinal)) ndif += 12; // bass -> treble
        if (ndif != 0)
        {
            int idx = Array.IndexOf(Nm7, ptc);
            if (idx < 0) throw Py.ValueError($"{Py.Repr(ptc)} is not in list");
            long n = idx + ndif;
            ptc = Nm7[Py.Mod(n, 7)];
            o += Py.FloorDiv(n, 7);
        }
        return AddOctave(ptc, o);
    }

    /// <summary>XML step and octave → ABC pitch without accidental (<c>addoct</c>).</summary>
    public static string AddOctave(string? ptc, long o)
    {
        if (ptc == null) throw Py.AttributeError("'NoneType' object has no attribute 'lower'");
        var p = ptc;
        if (o > 4) p = ptc.ToLowerInvariant();
        if (o > 5) p += new string('\'', (int)(o - 5));
        if (o < 4) p += new string(',', (int)(4 - o));
        return p;
    }

    private static readonly string[] Sharpness =
        { "Fb", "Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#", "E#", "B#" };

    private static readonly Dictionary<string, int> ModeOffset = new()
    {
        ["maj"] = 8, ["ion"] = 8, ["m"] = 11, ["min"] = 11, ["aeo"] = 11, ["mix"] = 9, ["dor"] = 10,
        ["phr"] = 12, ["lyd"] = 7, ["loc"] = 13, ["non"] = 8,
    };

    private static readonly string[] SharpOrder = { "F", "C", "G", "D", "A", "E", "B" };

    /// <summary>Key signature → ABC key and the altered steps it implies (<c>setKey</c>).</summary>
    public static (string Key, Dictionary<string, long> Alterations) SetKey(long fifths, string mode)
    {
        mode = mode.ToLowerInvariant();
        if (mode.Length > 3) mode = mode[..3];
        if (!ModeOffset.TryGetValue(mode, out var off)) throw Py.KeyError(mode);
        var key = Py.At(Sharpness, off + fifths) + (off != 8 ? mode : "");
        var alts = new Dictionary<string, long>();
        if (fifths >= 0)
            foreach (var a in Py.Slice(SharpOrder, null, fifths).Take((int)Math.Min(fifths, int.MaxValue))) alts[a] = 1;
        else
            foreach (var a in Py.Slice(SharpOrder, fifths, null).Take((int)Math.Min(-fifths, int.MaxValue))) alts[a] = -1;
        return (key, alts);
    }

    /// <summary>One measure's syllables of one lyric line → ABC lyrics and whether a melisma continues (<c>abcLyr</c>).</summary>
    public static (string Text, bool Melisma) Lyrics(List<string> xs, bool melis)
    {
        if (string.Concat(xs).Length == 0) return ("", false);
        var res = new List<string>();
        foreach (var x0 in xs)
        {
            var x = x0;
            if (x == "") x = melis ? "_" : "*";
            else if (x.EndsWith('_') && !x.EndsWith("\\_", StringComparison.Ordinal))
            {
                x = x.Replace("_", "");
                melis = true;
            }
            else melis = false;
            res.Add(x);
        }
        return (string.Join(" ", res), melis);
    }

    /// <summary>A <c>lyric</c> element → one ABC syllable (<c>doSyllable</c>).</summary>
    public static string Syllable(XmlElementNode syl)
    {
        var txt = "";
        foreach (var e in syl.Children)
        {
            if (e.Tag == "elision") txt += "~";
            else if (e.Tag == "text")
                txt += (e.Text ?? "").Replace("_", "\\_").Replace("-", "\\-").Replace(" ", "~");
        }
        if (txt.Length == 0) return txt;
        if (syl.FindText("syllabic") is "begin" or "middle") txt += "-";
        if (syl.Find("extend") != null) txt += "_";
        return txt;
    }

    /// <summary>False (with the script's warning) for a time step below 1/64 note, a MuseScore bug (<c>chkbug</c>).</summary>
    public static bool CheckDuration(long dt, MeasureState m, Diagnostics log)
    {
        if (dt > m.Divisions / 16.0) return true;
        log.Info($"MuseScore bug: incorrect duration, smaller then 1/64! in measure {m.Index}, part {m.PartIndex}");
        return false;
    }
}
