using System.Text.RegularExpressions;

namespace ClaMP3.ML.MusicXml;

/// <summary>Directions (tempo, words, dynamics, wedges, ottavas, pedals, jumps) and chord symbols.</summary>
internal sealed partial class ScoreParser
{
    /// <summary>direction-type/dynamics/… → ABC, in the script's (insertion) order.</summary>
    private static readonly (string Key, string Abc)[] Dynamics =
    {
        ("p", "!p!"), ("pp", "!pp!"), ("ppp", "!ppp!"), ("pppp", "!pppp!"), ("f", "!f!"), ("ff", "!ff!"),
        ("fff", "!fff!"), ("ffff", "!ffff!"), ("mp", "!mp!"), ("mf", "!mf!"), ("sfz", "!sfz!"),
    };

    private static readonly (string Attr, string Abc)[] Jumps =
        { ("dacapo", "D.C."), ("dalsegno", "D.S."), ("tocoda", "dacoda"), ("fine", "fine"), ("coda", "O"), ("segno", "S") };

    private static readonly Dictionary<string, (long, long)> BeatUnits = new()
    {
        ["whole"] = (1, 1), ["half"] = (1, 2), ["quarter"] = (1, 4), ["eighth"] = (1, 8),
    };

    private static readonly Dictionary<string, string> OpeningDirections = new()
    {
        ["down"] = "!8va(!", ["up"] = "!8vb(!", ["crescendo"] = "!<(!", ["diminuendo"] = "!>(!", ["start"] = "!ped!",
    };

    [GeneratedRegex(@"[.\d]+")]
    private static partial Regex TempoNumber();

    /// <summary>The staff, voice and first voice of the staff a direction belongs to: the voice of the next note
    /// unless a backup comes first (<c>findVoice</c>).</summary>
    private (long Staff, long Voice, long FirstVoice) FindVoice(int i, List<XmlElementNode> es)
    {
        var stfnum = Py.Int(es[i].FindText("staff", "1"));
        var vs = StaffVoices(stfnum);
        long v1 = vs.Count > 0 ? vs[0] : 1;
        if (_dirToV1) return (stfnum, v1, v1);
        for (int j = i + 1; j < es.Count; j++)
        {
            var e = es[j];
            if (e.Tag == "note")
            {
                var v = VoiceOf(e);
                var stf = _vce2stf.TryGetValue(v, out var s) ? s : throw Py.KeyError(v);
                return (stf, v, v1);
            }
            if (e.Tag == "backup") break;
        }
        return (stfnum, v1, v1);
    }

    private void AddDirection(string x, long vs, long? time, long stfnum)
    {
        if (x.Length == 0) return;
        var voices = x.Contains("!8v", StringComparison.Ordinal) ? StaffVoices(stfnum) : new List<long> { vs }; // ottavas go to the whole staff
        foreach (var v in voices)
        {
            if (time is { } t) _msc.AppendElemAt(v, x.Replace("(", ")").Replace("ped", "ped-up"), t);
            else _msc.AppendElem(v, x);
        }
    }

    /// <summary>Matches start and stop of wedges, ottavas and pedals, also when the stop comes first (<c>startStop</c>).</summary>
    private void StartStop(XmlElementNode t, string dtype, long vs, long stfnum = 1)
    {
        var type = t.Get("type", "")!;
        var k = dtype + t.Get("number", "1");
        string x;
        if (OpeningDirections.TryGetValue(type, out var opening))
        {
            x = opening;
            if (_dirStk.TryGetValue(k, out var pending)) // the closing direction came first
            {
                _dirStk.Remove(k);
                if (pending.Type == "stop") AddDirection(x, vs, pending.VoiceOrTime, stfnum);
                else
                {
                    _log.Info($"{dtype} direction {pending.Type} has no stop in part {_msr.PartIndex + 1}, measure {_msr.Index + 1}, voice {vs + 1}");
                    _dirStk[k] = (type, vs);
                }
            }
            else _dirStk[k] = (type, vs);
        }
        else if (type == "stop")
        {
            if (_dirStk.TryGetValue(k, out var open)) // the matching opening: close in the same voice
            {
                _dirStk.Remove(k);
                vs = open.VoiceOrTime;
                if (open.Type == "stop")
                {
                    _log.Info($"{dtype} direction {open.Type} has double stop in part {_msr.PartIndex + 1}, measure {_msr.Index + 1}, voice {vs + 1}");
                    x = "";
                }
                else x = OpeningDirections[open.Type].Replace("(", ")").Replace("ped", "ped-up");
            }
            else // closing before opening: delay until the opening is found
            {
                _dirStk[k] = ("stop", _msc.Time);
                x = "";
            }
        }
        else throw Py.ValueError("wrong direction type");
        AddDirection(x, vs, null, stfnum);
    }

    private void DoDirection(XmlElementNode e, int i, List<XmlElementNode> es)
    {
        string? tempo = null;
        var wrdstxt = "";
        (long, long) tempoUnits = (1, 4);
        var plc = "^";
        var plcmnt = e.Get("placement");
        var (stf, vs, v1) = FindVoice(i, es);
        var jmp = "";
        var t = e.Find("sound");
        if (t != null)
        {
            var minst = t.Find("midi-instrument");
            if (minst != null && minst.HasChildren)
            {
                var prg = t.FindText("midi-instrument/midi-program");
                var chn = t.FindText("midi-instrument/midi-channel");
                var id = minst.Get("id") ?? PartListNoneKey;
                var vids = _vceInst.Where(kv => kv.Value == id).Select(kv => kv.Key).ToList();
                if (vids.Count > 0) vs = vids[0]; // the direction is for the identified voice, not the staff
                var (parm, inst) = !string.IsNullOrEmpty(prg) ? ("program", Py.D(Py.Int(prg) - 1)) : ("channel", chn);
                if (!string.IsNullOrEmpty(inst) && _abcOut.MidiLevel > 0) _msc.AppendElem(vs, $"[I:MIDI= {parm} {inst}]");
            }
            tempo = OrNull(t.Get("tempo"));
            if (tempo != null)
            {
                tempo = Py.FormatFixed(Py.Float(tempo), 0);
                tempoUnits = (1, 4); // always 1/4 for sound elements
            }
            foreach (var (r, v) in Jumps)
                if (!string.IsNullOrEmpty(t.Get(r, ""))) { jmp = v; break; }
        }
        foreach (var dirtyp in e.FindAll("direction-type"))
        {
            var metr = dirtyp.Find("metronome");
            if (metr != null)
            {
                var unit = metr.FindText("beat-unit", "")!;
                tempoUnits = BeatUnits.TryGetValue(unit, out var u) ? u : BeatUnits["quarter"];
                if (metr.Find("beat-unit-dot") != null) tempoUnits = AbcNotation.Simplify(tempoUnits.Item1 * 3, tempoUnits.Item2 * 2);
                var perMinute = metr.FindText("per-minute") ?? throw Py.TypeError("expected string or bytes-like object, got 'NoneType'");
                var tmpro = TempoNumber().Match(perMinute);
                if (tmpro.Success) tempo = tmpro.Value; // overrides the sound element's value
            }
            var wedge = dirtyp.Find("wedge");
            if (wedge != null) StartStop(wedge, "wedge", vs);
            var allwrds = dirtyp.FindAll("words");
            if (allwrds.Count == 0) allwrds = dirtyp.FindAll("rehearsal"); // rehearsal marks as text
            foreach (var wrds in allwrds)
            {
                if (jmp.Length > 0) // a jump sound element replaces the words
                {
                    _msc.AppendElem(vs, "!" + jmp + "!", true);
                    break;
                }
                plc = plcmnt == "below" ? "_" : "^";
                if (Py.Float(wrds.Get("default-y", "0")) < 0) plc = "_";
                wrdstxt += (wrds.Text ?? "").Replace("\"", "\\\"").Replace("\n", "\\n");
            }
            wrdstxt = Py.Strip(wrdstxt);
            foreach (var (key, val) in Dynamics)
                if (dirtyp.Find("dynamics/" + key) != null) _msc.AppendElem(vs, val, true);
            if (dirtyp.Find("coda") != null) _msc.AppendElem(vs, "O", true);
            if (dirtyp.Find("segno") != null) _msc.AppendElem(vs, "S", true);
            var ottava = dirtyp.Find("octave-shift");
            if (ottava != null) StartStop(ottava, "octave-shift", vs, stf); // size 8 assumed
            var pedal = dirtyp.Find("pedal");
            if (pedal != null && _pedal)
            {
                if (_pedVoice is null or 0) _pedVoice = vs;
                StartStop(pedal, "pedal", _pedVoice.Value);
            }
            if (dirtyp.FindText("other-direction") == "diatonic fretting") _diafret = true;
        }
        if (!string.IsNullOrEmpty(tempo))
        {
            tempo = Py.FormatFixed(Py.Float(tempo), 0);
            if (_msc.Time == 0 && _msr.Index == 0) // first measure -> header
            {
                _abcOut.Tempo = tempo;
                _abcOut.TempoUnits = tempoUnits;
            }
            else _msc.AppendElem(v1, $"[Q:{Py.D(tempoUnits.Item1)}/{Py.D(tempoUnits.Item2)}={tempo}]");
        }
        if (wrdstxt.Length > 0) _msc.AppendElem(vs, "\"" + plc + wrdstxt + "\"", true); // after the tempo
    }

    private static readonly Dictionary<string, string> ChordShort = new()
    {
        ["major"] = "", ["minor"] = "m", ["augmented"] = "+", ["diminished"] = "dim", ["dominant"] = "7", ["half-diminished"] = "m7b5",
    };

    private static readonly Dictionary<string, string> ChordTriad = new()
    {
        ["major"] = "maj", ["dominant"] = "", ["minor"] = "m", ["diminished"] = "dim", ["augmented"] = "+", ["suspended"] = "sus",
    };

    private static readonly Dictionary<string, string> ChordModification = new()
    {
        ["second"] = "2", ["fourth"] = "4", ["seventh"] = "7", ["sixth"] = "6", ["ninth"] = "9", ["11th"] = "11", ["13th"] = "13",
    };

    private static string Alter(string? a) => a switch { "1" => "#", "0" => "", "-1" => "b", _ => "" };

    private void DoHarmony(XmlElementNode e, int i, List<XmlElementNode> es)
    {
        var (_, vt, _) = FindVoice(i, es);
        var root = e.FindText("root/root-step", "")!;
        var alt = Alter(e.FindText("root/root-alter"));
        var sus = "";
        var kind = e.FindText("kind", "")!;
        if (ChordShort.TryGetValue(kind, out var shortKind)) kind = shortKind;
        else if (kind.Contains('-'))
        {
            var parts = kind.Split('-');
            if (parts.Length != 2) throw Py.ValueError($"too many values to unpack (expected 2)");
            kind = (ChordTriad.TryGetValue(parts[0], out var tr) ? tr : "") + (ChordModification.TryGetValue(parts[1], out var md) ? md : "");
            if (kind.StartsWith("sus", StringComparison.Ordinal)) (kind, sus) = ("", kind); // sus goes to the end
        }
        else if (kind == "none") kind = e.Find("kind")!.Get("text", "")!;
        foreach (var d in e.FindAll("degree")) // chord alterations
            kind += Alter(d.FindText("degree-alter")) + d.FindText("degree-value", "");
        kind = kind.Replace("79", "9").Replace("713", "13").Replace("maj6", "6");
        var bass = e.FindText("bass/bass-step", "") + Alter(e.FindText("bass/bass-alter"));
        _msc.AppendElem(vt, "\"" + root + alt + kind + sus + (bass.Length > 0 ? "/" + bass : "") + "\"", true);
    }
}
