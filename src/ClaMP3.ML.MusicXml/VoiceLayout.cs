using System.Text;

namespace ClaMP3.ML.MusicXml;

/// <summary>Turns one voice's items of one measure into ABC: time ordering, tuplets, broken rhythms, chords, ties
/// (xml2abc's <c>sortMeasure</c>, <c>insTup</c>, <c>mkBroken</c>, <c>outVoice</c>, <c>compUnitLength</c>).</summary>
internal static class VoiceLayout
{
    /// <summary>Orders a measure's items by time (stable), fills gaps with invisible rests and resolves overlaps.</summary>
    public static List<VoiceItem> SortMeasure(List<VoiceItem> voice, MeasureState m, Diagnostics log)
    {
        var sorted = voice.OrderBy(o => o.Time).ToList(); // stable, as list.sort
        long time = 0;
        var v = new List<VoiceItem>();
        var rs = new List<int>(); // rests between notes
        foreach (var nx in sorted)
        {
            if (nx.Time > time && AbcNotation.CheckDuration(nx.Time - time, m, log))
            {
                v.Add(new NoteItem(nx.Time - time, "x")); // fill the hole with an invisible rest
                rs.Add(v.Count - 1);
            }
            if (nx is ElemItem)
            {
                if (nx.Time < time) nx.Time = time; // shift elements without duration to where they fit
                v.Add(nx);
                time = nx.Time;
                continue;
            }
            var note = (NoteItem)nx;
            if (note.Time < time) // overlapping element
            {
                if (note.Notes[0] == "z") continue; // discard an overlapping rest
                if (v[^1].Time <= note.Time)
                {
                    var last = v[^1] as NoteItem ?? throw Py.AttributeError("'Elem' object has no attribute 'ns'");
                    if (last.Notes[0] == "z")
                    {
                        last.Duration = note.Time - last.Time;
                        if (last.Duration == 0) v.RemoveAt(v.Count - 1);
                        log.Info($"overlap in part {m.PartIndex + 1}, measure {m.Index + 1}: rest shortened");
                    }
                    else
                    {
                        last.Notes.AddRange(note.Notes);
                        log.Info($"overlap in part {m.PartIndex + 1}, measure {m.Index + 1}: added chord");
                        note.Duration = (note.Time + note.Duration) - time;
                        if (note.Duration <= 0) continue;
                        note.Time = time;
                    }
                }
                else
                {
                    log.Info($"overlapping notes in one voice! part {m.PartIndex + 1}, measure {m.Index + 1}, note {Py.Repr(note.Notes)} discarded");
                    continue;
                }
            }
            v.Add(note);
            if ("zx".Contains(note.Notes[0], StringComparison.Ordinal))
                rs.Add(v.Count - 1); // remember rests between notes
            else if (rs.Count > 0)
            {
                if (note.Beam != 0 && !note.Grace)
                    foreach (var j in rs) ((NoteItem)v[j]).Beam = note.Beam; // copy the beam into the rests
                rs.Clear();
            }
            time = note.Time + note.Duration;
        }
        if (time == 0)
            log.Info($"empty measure in part {m.PartIndex + 1}, measure {m.Index + 1}, it should contain at least a rest to advance the time!");
        return v;
    }

    /// <summary>Reads one (nested) tuplet starting at index ix and writes its ABC prefix (<c>insTup</c>).
    /// Returns the index of its last note and the number of notes counted.</summary>
    public static (int Index, long Count) InsertTuplet(int ix, List<VoiceItem> notes, (long Num, long Den) fact)
    {
        long tupcnt = 0;
        var nx = (NoteItem)notes[ix];
        nx.Tuplet.Remove("start");
        int tix = ix;
        var (fn, fd) = fact;
        var (fnum, fden) = nx.TimeModification ?? throw Py.TypeError("cannot unpack non-iterable NoneType object");
        (long, long) tupfact = (Py.FloorDiv(fnum, fn), Py.FloorDiv(fden, fd));
        int lastix = -1;
        while (ix < notes.Count)
        {
            if (notes[ix] is not NoteItem cur || cur.Grace) { ix++; continue; } // skip non tuplet elements
            nx = cur;
            if (nx.Tuplet.Contains("start"))
            {
                (ix, var inner) = InsertTuplet(ix, notes, tupfact); // ix is on the stop note
                tupcnt += inner;
            }
            else if (nx.TimeModification != null) tupcnt += 1;
            if (nx.Tuplet.Contains("stop"))
            {
                nx.Tuplet.Remove("stop");
                break;
            }
            if (nx.TimeModification == null)
            {
                if (lastix < 0) throw new PythonStyleException("UnboundLocalError", "cannot access local variable 'lastix' where it is not associated with a value");
                ix = lastix; // back to the last tuplet note
                break;
            }
            lastix = ix;
            ix++;
        }
        var tup = (tupfact.Item1, tupfact.Item2, tupcnt);
        var prefix = tup == (3, 2, 3) ? "(3" : $"({Py.D(tup.Item1)}:{Py.D(tup.Item2)}:{Py.D(tup.tupcnt)}";
        var first = (NoteItem)notes[tix];
        first.TupletAbc = prefix + first.TupletAbc;
        return (ix, tupcnt);
    }

    /// <summary>Introduces broken rhythms (<c>&gt;</c>, <c>&lt;</c>) in one voice of one measure (<c>mkBroken</c>).</summary>
    public static void MakeBroken(List<VoiceItem> items)
    {
        var vs = items.OfType<NoteItem>().ToList();
        int i = 0;
        while (i < vs.Count - 1)
        {
            var (n1, n2) = (vs[i], vs[i + 1]);
            if (n1.TimeModification == null && n2.TimeModification == null && n1.Duration > 0 && n2.Beam != 0)
            {
                if (n1.Duration * 3 == n2.Duration)
                {
                    n2.Duration = Py.FloorDiv(2 * n2.Duration, 3);
                    n1.Duration *= 2;
                    n1.After = "<" + n1.After;
                    i++; // do not chain broken rhythms
                }
                else if (n2.Duration * 3 == n1.Duration)
                {
                    n1.Duration = Py.FloorDiv(2 * n1.Duration, 3);
                    n2.Duration *= 2;
                    n1.After = ">" + n1.After;
                    i++;
                }
            }
            i++;
        }
    }

    /// <summary>One voice of one measure as ABC text (<c>outVoice</c>).</summary>
    public static string OutVoice(List<VoiceItem> measure, long divs, long unitL)
    {
        int ix = 0;
        while (ix < measure.Count) // set all (nested) tuplet annotations
        {
            if (measure[ix] is NoteItem { TimeModification: not null, Grace: false })
                (ix, _) = InsertTuplet(ix, measure, (1, 1));
            ix++;
        }
        var sb = new StringBuilder();
        int item = 0;
        foreach (var nx in measure)
        {
            string s;
            bool nospace;
            if (nx is NoteItem note)
            {
                var durstr = AbcNotation.Duration(note, divs, unitL);
                bool chord = note.Notes.Count > 1;
                var cns = note.Notes.Where(nt => nt.EndsWith('-')).Select(nt => nt[..^1]).ToList();
                var tie = "";
                if (chord && cns.Count == note.Notes.Count) // all chord notes tied
                {
                    note.Notes = cns;
                    tie = "-";
                }
                s = note.TupletAbc + string.Concat(note.Before);
                if (chord) s += "[";
                foreach (var nt in note.Notes) s += nt;
                if (chord) s += "]" + tie;
                if (s.EndsWith('-')) { s = s[..^1]; tie = "-"; }
                s += durstr + tie;
                s += note.After;
                nospace = note.Beam != 0;
            }
            else
            {
                var elem = (ElemItem)nx;
                if (elem.Repeat != null)
                {
                    if (elem.Repeat.First is not string first)
                        throw Py.TypeError($"sequence item {item}: expected str instance, int found");
                    elem.Str = first;
                    elem.Repeat = null;
                }
                s = elem.Str;
                nospace = true;
            }
            if (!nospace) sb.Append(' ');
            sb.Append(s);
            item++;
        }
        var vs = sb.ToString(); // ad hoc: remove multiple pedal directions and empty ottavas
        while (vs.Contains("!ped!!ped!", StringComparison.Ordinal)) vs = vs.Replace("!ped!!ped!", "!ped!");
        while (vs.Contains("!ped-up!!ped-up!", StringComparison.Ordinal)) vs = vs.Replace("!ped-up!!ped-up!", "!ped-up!");
        while (vs.Contains("!8va(!!8va)!", StringComparison.Ordinal)) vs = vs.Replace("!8va(!!8va)!", "");
        return vs;
    }

    /// <summary>The unit length (4, 8 or 16) giving the shortest duration strings for a voice (<c>compUnitLength</c>).</summary>
    public static long ComputeUnitLength(long iv, List<Dictionary<long, List<VoiceItem>>> measures, List<long> divs)
    {
        long uLmin = 0, minLen = long.MaxValue;
        foreach (var uL in new long[] { 4, 8, 16 })
        {
            long vLen = 0;
            for (int im = 0; im < measures.Count; im++)
                foreach (var e in measures[im][iv])
                {
                    if (e is not NoteItem n || n.Duration == 0) continue;
                    vLen += Py.Len(AbcNotation.Duration(n, divs[im], uL));
                }
            if (vLen < minLen) (uLmin, minLen) = (uL, vLen);
        }
        return uLmin;
    }

    /// <summary>Continues a melisma into a measure without lyrics for that line (<c>checkMelismas</c>).</summary>
    public static void CheckMelismas(List<Dictionary<long, Dictionary<long, (string Text, bool Melisma)>>> lyrics,
        List<Dictionary<long, List<VoiceItem>>> measures, int im, long iv)
    {
        if (im == 0) return;
        var maat = measures[im][iv];
        var curlyr = lyrics[im][iv];
        var prvlyr = lyrics[im - 1][iv];
        foreach (var (n, (_, melis)) in prvlyr.ToList())
        {
            if (!curlyr.ContainsKey(n) && melis)
            {
                var ms = GetMelisma(maat);
                if (ms.Length > 0) curlyr[n] = (ms, false);
            }
        }
    }

    private static string GetMelisma(List<VoiceItem> maat)
    {
        var ms = new List<string>();
        foreach (var item in maat)
        {
            if (item is not NoteItem note) continue;
            if (note.Grace) continue;
            if ("zx".Contains(note.Notes[0], StringComparison.Ordinal)) break; // stop on the first rest
            ms.Add("_");
        }
        return string.Join(" ", ms);
    }
}
