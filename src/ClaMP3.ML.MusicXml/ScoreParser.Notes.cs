using System.Text.RegularExpressions;

namespace ClaMP3.ML.MusicXml;

/// <summary>Notes, chords, rests, grace notes, ties, slurs, ornaments, lyrics and accidentals.</summary>
internal sealed partial class ScoreParser
{
    /// <summary>notations/… paths → ABC decorations (from EasyABC via xml2abc); applied in key order.</summary>
    private static readonly Dictionary<string, string> NoteOrnaments = new()
    {
        ["ornaments/trill-mark"] = "T",
        ["ornaments/mordent"] = "M",
        ["ornaments/inverted-mordent"] = "P",
        ["ornaments/turn"] = "!turn!",
        ["ornaments/inverted-turn"] = "!invertedturn!",
        ["technical/up-bow"] = "u",
        ["technical/down-bow"] = "v",
        ["technical/harmonic"] = "!open!",
        ["technical/open-string"] = "!open!",
        ["technical/stopped"] = "!plus!",
        ["technical/snap-pizzicato"] = "!snap!",
        ["technical/thumb-position"] = "!thumb!",
        ["articulations/accent"] = "!>!",
        ["articulations/strong-accent"] = "!^!",
        ["articulations/staccato"] = ".",
        ["articulations/staccatissimo"] = "!wedge!",
        ["articulations/scoop"] = "!slide!",
        ["fermata"] = "!fermata!",
        ["arpeggiate"] = "!arpeggio!",
        ["articulations/tenuto"] = "!tenuto!",
        ["articulations/spiccato"] = "!wedge!",
        ["articulations/breath-mark"] = "!breath!",
        ["articulations/detached-legato"] = "!tenuto!.",
    };

    private static readonly Dictionary<string, long> AccidentalAlter = new()
    {
        ["double-flat"] = -2, ["flat-flat"] = -2, ["flat"] = -1, ["natural"] = 0,
        ["sharp"] = 1, ["sharp-sharp"] = 2, ["double-sharp"] = 2,
    };

    private static readonly string[] AccidentalAbc = { "__", "_", "=", "^", "^^" };

    [GeneratedRegex(@"^.*verse")]
    private static partial Regex SibeliusVerse();

    private static bool HasType(IEnumerable<XmlElementNode> elems, string type) => elems.Any(e => e.Get("type") == type);

    private void MatchSlur(string? type2, string? n, long v2, NoteItem note2, bool grace, bool stopGrace)
    {
        if (type2 is not ("start" or "stop")) return; // "continue" has no ABC equivalent
        n ??= "1";
        if (_slurBuf.TryGetValue(n, out var open))
        {
            var (type1, v1, note1, grace1) = open;
            if (type2 != type1) // complete: keep it when it begins and ends in the same voice
            {
                if (v2 == v1 && type1 == "start" && (!grace1 || !stopGrace))
                {
                    note1.Before.Insert(0, "(");
                    note2.After += ")";
                }
                _slurBuf.Remove(n);
            }
            else // double definition: keep the last
            {
                _log.Info($"double slur numbers {type2}-{n} in part {_msr.PartIndex + 1}, measure {_msr.Index + 1}, voice {v2} note {Py.Repr(note2.Notes)}, first discarded");
                _slurBuf[n] = (type2, v2, note2, grace);
            }
        }
        else _slurBuf[n] = (type2, v2, note2, grace);
    }

    private void DoNotations(NoteItem note, XmlElementNode nttn, bool isTab)
    {
        foreach (var (key, val) in _ornaments)
            if (nttn.Find(key) != null) note.Before.Add(val);
        var trem = nttn.Find("ornaments/tremolo");
        if (trem != null)
        {
            var type = trem.Get("type");
            if (type == "single") note.Before.Insert(0, "!" + new string('/', (int)Math.Max(0, Py.Int(trem.Text))) + "!");
            else
            {
                note.TimeModification = null; // no time modification in ABC
                if (type == "start") note.Before.Insert(0, "!" + new string('/', (int)Math.Max(0, Py.Int(trem.Text))) + "-!");
            }
        }
        foreach (var finger in nttn.FindAll("technical/fingering"))
            if (!isTab) note.Before.Add("!" + Py.Str(finger.Text) + "!"); // fingering goes before the chord
        var snaar = nttn.Find("technical/string");
        if (snaar != null && isTab)
        {
            var deco = "!" + Py.Str(snaar.Text) + "!"; // no double string decorations (a MuseScore bug)
            if (!note.NoteDecoration.Contains(deco, StringComparison.Ordinal)) note.NoteDecoration += deco;
        }
        var wvln = nttn.Find("ornaments/wavy-line");
        if (wvln != null)
        {
            if (wvln.Get("type") == "start") note.Before.Insert(0, "!trill(!");
            else if (wvln.Get("type") == "stop") note.Before.Insert(0, "!trill)!");
        }
        var glis = nttn.Find("glissando") ?? nttn.Find("slide"); // a slide is a glissando
        if (glis != null)
        {
            var lt = glis.Get("line-type") == "wavy" ? "~" : "-";
            if (glis.Get("type") == "start") note.Before.Insert(0, "!" + lt + "(!");
            else if (glis.Get("type") == "stop") note.Before.Insert(0, "!" + lt + ")!");
        }
    }

    /// <summary>Pitch and octave → ABC note, adding the accidentals ABC needs in this key and measure (<c>ntAbc</c>).</summary>
    private string NoteAbc(string? ptc, long oct, XmlElementNode note, long v, NoteItem ntrec, bool isTab)
    {
        oct += _clefOct.TryGetValue(CurrentStaff(v), out var co) ? co : 0; // minus clef-octave-change
        var acc = note.FindText("accidental"); // the notated accidental
        var altText = note.FindText("pitch/alter"); // the sounding alteration
        if (isTab && TStep)
        {
            // unreachable without -t
        }
        var p = AbcNotation.AddOctave(ptc, oct);
        long? alt = null;
        bool altGiven = altText != null;
        if (!altGiven && _msrAlts.TryGetValue(ptc!, out var ka) && ka != 0) { alt = 0; altGiven = true; } // the key alters it: natural
        if (!altGiven && _curAlts.ContainsKey((p, v))) { alt = 0; altGiven = true; } // an earlier note had one: natural
        if (acc == null && !altGiven) return p;
        long a;
        if (acc != null)
        {
            a = AccidentalAlter.TryGetValue(acc, out var x) ? x : throw Py.KeyError(acc); // the notation wins
        }
        else
        {
            a = alt ?? (long)Math.Truncate(Py.Float(altText)); // int(float(alt))
            if (_curAlts.TryGetValue((p, v), out var cur))
            {
                if (a == cur) return p; // alteration still the same
            }
            else if (a == (_msrAlts.TryGetValue(ptc!, out var k) ? k : 0)) return p; // implied by the key
            var ties = note.FindAll("tie").Concat(note.FindAll("notations/tied"));
            if (HasType(ties, "stop")) return p; // don't alter tied notes
            _log.Info($"accidental {a} added in part {_msr.PartIndex + 1}, measure {_msr.Index + 1}, voice {v + 1} note {p}");
        }
        _curAlts[(p, v)] = a;
        return Py.At(AccidentalAbc, a + 2) + p;
    }

    private long CurrentStaff(long v) => _curStf.TryGetValue(v, out var s) ? s : throw Py.KeyError(v);

    private void DoNote(XmlElementNode n)
    {
        var note = new NoteItem();
        var v = VoiceOf(n);
        bool chord = n.Find("chord") != null;
        var p = OrNull(n.FindText("pitch/step")) ?? OrNull(n.FindText("unpitched/display-step"));
        var o = OrNull(n.FindText("pitch/octave")) ?? OrNull(n.FindText("unpitched/display-octave"));
        bool isRest = n.Find("rest") != null;
        var numer = n.FindText("time-modification/actual-notes");
        if (!string.IsNullOrEmpty(numer))
        {
            var denom = n.FindText("time-modification/normal-notes");
            note.TimeModification = (Py.Int(numer), Py.Int(denom));
        }
        note.Tuplet = n.FindAll("notations/tuplet").Select(x => x.Get("type")).ToList();
        var dur = n.FindText("duration");
        var grc = n.Find("grace");
        note.Grace = grc != null;
        note.Before = new();
        note.After = "";
        if (note.Grace && !_inGrace) // open a grace sequence
        {
            _inGrace = true;
            note.Before = new() { "{" };
            if (grc!.Get("slash") == "yes") note.Before.Add("/"); // acciaccatura
        }
        bool stopGrace = !note.Grace && _inGrace;
        if (stopGrace) // close the grace sequence on the last note
        {
            _inGrace = false;
            var last = _msc.LastNote ?? throw Py.AttributeError("'NoneType' object has no attribute 'after'");
            last.After += "}";
        }
        if (dur == null || note.Grace) dur = "0";
        bool printObjectNo = n.Get("print-object") == "no";
        if (!isRest && printObjectNo)
        {
            if (chord) return;
            isRest = true; // invisible notes that advance the time become invisible rests
        }
        note.Duration = Py.Int(dur);
        long octave = 0;
        if (!isRest && (p == null || o == null)) // neither a rest nor a pitch
        {
            _msc.Counters.Inc("nopt", v);
            (o, p) = ("5", "E"); // make it an E5
        }
        bool isTab = _curClef.Count > 0 && (_curClef.TryGetValue(CurrentStaff(v), out var cc) ? cc : "").StartsWith("tab", StringComparison.Ordinal);
        var nttn = n.Find("notations");
        if (nttn != null) DoNotations(note, nttn, isTab);
        var stem = !isRest ? n.Find("stem") : null; // no !stemless! before a rest
        if (stem != null && stem.Text == "none" && (!isTab || _hasStems.ContainsKey(v) || TStep))
        {
            note.Before.Add("s");
            _abcOut.Stemless = true;
        }
        var accElem = n.Find("accidental");
        if (accElem != null && accElem.Get("parentheses") == "yes") note.NoteDecoration += "!courtesy!";
        string noot;
        if (isRest) noot = printObjectNo || isTab ? "x" : "z";
        else
        {
            octave = Py.Int(o);
            noot = NoteAbc(p, octave, n, v, note, isTab);
        }
        if (n.Find("unpitched") != null)
        {
            var clef = _curClef.TryGetValue(CurrentStaff(v), out var c) ? c : throw Py.KeyError(CurrentStaff(v));
            var step = AbcNotation.StaffStep(p, Py.Int(o), clef, TStep);
            var instr = n.Find("instrument");
            var instId = instr != null ? instr.Get("id") ?? PartListNoneKey : "dummyId";
            long midi = _drumInst.TryGetValue(instId, out var dm) ? dm : AbcNotation.MidiPitch(noot);
            var nh = (n.FindText("notehead", "") ?? "").Replace(" ", "-"); // percmap names have no spaces
            if (nh == "x") noot = "^" + noot.Replace("^", "").Replace("_", "");
            if (nh is "circle-x" or "diamond" or "triangle") noot = "_" + noot.Replace("^", "").Replace("_", "");
            if (nh.Length > 0 && n.Find("notehead")!.Get("filled", "") == "yes") nh += "+";
            if (nh.Length > 0 && n.Find("notehead")!.Get("filled", "") == "no") nh += "-";
            _drumNotes[(v, noot)] = (step, midi, nh);
        }
        var tieElms = n.FindAll("tie").Concat(n.FindAll("notations/tied"));
        if (HasType(tieElms, "start")) noot += "-"; // a note can have both a stop and a start tie
        note.Beam = n.FindAll("beam").Count(b => b.Text is "continue" or "end") + (note.Grace ? 1 : 0);
        long lyrlast = 0;
        foreach (var e in n.FindAll("lyric"))
        {
            var lyrnum = Py.Int(SibeliusVerse().Replace(e.Get("number", "1")!, "", 1)); // also Sibelius numbers
            if (lyrnum == 0) lyrnum = lyrlast + 1; // and Sibelius bugs
            else lyrlast = lyrnum;
            note.Lyrics[lyrnum] = AbcNotation.Syllable(e);
        }
        var stemdir = n.FindText("stem");
        if (_writeStems && stemdir is "up" or "down")
        {
            if (stemdir != (_stemDir.TryGetValue(v, out var sd) ? sd : ""))
            {
                _stemDir[v] = stemdir;
                _msc.AppendElem(v, "[I:stemdir " + stemdir + "]");
            }
        }
        if (chord) _msc.AddChord(note, noot);
        else
        {
            var xmlstaff = Py.Int(n.FindText("staff", "1"));
            if (CurrentStaff(v) != xmlstaff) // the note goes to another staff
            {
                var dstaff = xmlstaff - CurrentStaff(v);
                _curStf[v] = xmlstaff;
                _msc.AppendElem(v, "[I:staff " + Py.SignedD(dstaff) + "]");
            }
            _msc.AppendNote(v, note, noot);
        }
        foreach (var slur in n.FindAll("notations/slur"))
            MatchSlur(slur.Get("type"), slur.Get("number"), v, _msc.LastNote!, note.Grace, stopGrace);
    }

    /// <summary>Python's <c>a or b</c> for findtext results: "" is false.</summary>
    private static string? OrNull(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
