using System.Text.RegularExpressions;

namespace ClaMP3.ML.MusicXml;

/// <summary>Reads a MusicXML score part by part, measure by measure, into <see cref="Music"/> and writes the ABC
/// header (xml2abc's <c>Parser</c>). This file: the score-level flow (title, part-list, staves, MIDI map);
/// notes, attributes and directions are in the other <c>ScoreParser.*.cs</c> files.</summary>
internal sealed partial class ScoreParser
{
    private readonly Xml2AbcOptions _options;
    private readonly AbcOutput _abcOut;
    private readonly Diagnostics _log;
    private readonly Music _msc;

    private readonly Dictionary<string, (string Type, long Voice, NoteItem Note, bool Grace)> _slurBuf = new();
    private readonly Dictionary<string, (string Type, long VoiceOrTime)> _dirStk = new();
    private bool _inGrace;
    private readonly List<List<List<int>>> _staffMapAll = new(); // gStfMap: [parts], part = [staves], staff = [abc voices]
    private readonly List<VoiceMidi> _midiMap = new();
    private readonly Dictionary<string, long> _drumInst = new(); // instrument id -> MIDI pitch of unpitched notes
    private Dictionary<(long Voice, string Note), (string Step, long Midi, string Head)> _drumNotes = new();
    private readonly List<Dictionary<string, (long Ch, long Prg, double Vol, double Pan)>> _instMid = new();
    private static readonly (long Ch, long Prg, double Vol, double Pan) MidiDefault = (-1, -1, -1, -91);
    private Dictionary<string, long> _msrAlts = new();                 // steps altered by the key
    private Dictionary<(string Pitch, long Voice), long> _curAlts = new(); // passing accidentals
    private Dictionary<long, List<long>> _stfMap = new();              // xml staff -> xml voices
    private readonly Dictionary<long, long> _vce2stf = new();          // xml voice -> its staff
    private Dictionary<long, string> _clefMap = new();                 // xml staff -> clef (header)
    private Dictionary<long, string> _curClef = new();                 // xml staff -> current clef
    private Dictionary<long, string> _stemDir = new();
    private Dictionary<long, long> _clefOct = new();                   // xml staff -> -clef-octave-change
    private readonly Dictionary<long, long> _curStf = new();           // xml voice -> current staff
    private readonly bool _noLineBreaks;
    private readonly bool _jscript;
    private readonly List<(string Key, string Value)> _ornaments;
    private readonly bool _dirToV1;
    private readonly bool _pedal;
    private readonly bool _writeStems;
    private long? _pedVoice;
    private readonly Dictionary<long, MeasureRepeatMark> _repeatStr = new();
    private Dictionary<long, string> _vceInst = new();                 // xml voice -> instrument id
    private Dictionary<long, int> _hasStems = new();
    private bool _diafret;
    private bool _isSib;
    private MeasureState _msr = new(0);
    private const bool TStep = false; // -t (perc/tab %%map translation) is not supported by this port

    public ScoreParser(Xml2AbcOptions options, AbcOutput abcOut, Diagnostics log)
    {
        _options = options;
        _abcOut = abcOut;
        _log = log;
        _msc = new Music(options, abcOut, log);
        _noLineBreaks = options.NoLineBreaks;
        _jscript = options.JavaScript;
        _ornaments = NoteOrnaments.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
        _dirToV1 = options.DirectionsToFirstVoice;
        _pedal = options.Pedal;
        _writeStems = options.Stems;
    }

    /// <summary>Parses the score; returns false when no part has notes (the script writes nothing).</summary>
    public bool Parse(XmlElementNode root)
    {
        var vvmapAll = new Dictionary<long, int>();
        MakeTitle(root);
        DoDefaults(root);
        var partList = DoPartList(root);
        var parts = root.FindAll("part");
        for (int ip = 0; ip < parts.Count; ip++)
        {
            var p = parts[ip];
            var maten = p.FindAll("measure");
            LocateStaffMap(p);
            _drumNotes = new();
            _clefOct = new();
            _curClef = new();
            _stemDir = new();
            _diafret = false;
            _msc.InitVoices(newPart: true);
            int repeatsDone = 0;   // aantalHerhaald
            int repeatTarget = 0;  // herhaalMaat
            var divisions = new List<long>();
            _msr = new MeasureState(ip);
            while (_msr.Index < maten.Count)
            {
                var maat = maten[_msr.Index];
                int herhaal = 0;
                string? lbrk = "";
                _msr.Reset();
                _curAlts = new();
                var es = maat.Children;
                for (int i = 0; i < es.Count; i++)
                {
                    var e = es[i];
                    switch (e.Tag)
                    {
                        case "note": DoNote(e); break;
                        case "attributes": DoAttributes(e); break;
                        case "direction": DoDirection(e, i, es); break;
                        case "sound": DoDirection(maat, i, es); break; // a sound element directly in the measure
                        case "harmony": DoHarmony(e, i, es); break;
                        case "barline": herhaal = DoBarline(e); break;
                        case "backup":
                        {
                            var dt = Py.Int(e.FindText("duration"));
                            if (AbcNotation.CheckDuration(dt, _msr, _log)) _msc.IncTime(-dt);
                            break;
                        }
                        case "forward":
                        {
                            var dt = Py.Int(e.FindText("duration"));
                            if (AbcNotation.CheckDuration(dt, _msr, _log)) _msc.IncTime(dt);
                            break;
                        }
                        case "print": lbrk = DoPrint(e); break;
                    }
                }
                _msc.AddBar(lbrk, _msr);
                divisions.Add(_msr.Divisions);
                if (herhaal == 1)
                {
                    repeatTarget = _msr.Index;
                    _msr.Index++;
                }
                else if (herhaal == 2)
                {
                    if (repeatsDone < 1) { _msr.Index = repeatTarget; repeatsDone++; } // jump back
                    else { repeatsDone = 0; _msr.Index++; }
                }
                else _msr.Index++;
            }
            foreach (var rv in _repeatStr.Values) // close measure repeats without a stop
                rv.First = $"[I:repeat {Py.Str(rv.Text)} 1]";
            var vvmap = _msc.OutVoices(divisions, ip, _isSib);
            AddStaffMap(vvmap);
            AddMidiMap(ip, vvmap);
            foreach (var (k, v) in vvmap) vvmapAll[k] = v;
        }
        if (vvmapAll.Count == 0) return false;
        _abcOut.MakeHeader(_staffMapAll, partList, _midiMap);
        return true;
    }

    private string? DoPrint(XmlElementNode e)
    {
        if (e.Get("new-system") == "yes" || e.Get("new-page") == "yes")
            if (!_noLineBreaks) return "$";
        return null;
    }

    private List<object> DoPartList(XmlElementNode e)
    {
        foreach (var sp in e.FindAll("part-list/score-part"))
        {
            var midi = new Dictionary<string, (long, long, double, double)>();
            foreach (var m in sp.FindAll("midi-instrument"))
            {
                string? ch = m.FindText("midi-channel"), prg = m.FindText("midi-program"), vol = m.FindText("volume"), pan = m.FindText("pan");
                double panF = pan == null ? MidiDefault.Pan : Py.Float(pan);
                if (panF >= -90 && panF <= 90) panF = (panF + 90) / 180 * 127; // xml -90..90 -> midi
                var settings = (ch == null ? MidiDefault.Ch : Py.Int(ch), prg == null ? MidiDefault.Prg : Py.Int(prg),
                    (vol == null ? MidiDefault.Vol : Py.Float(vol)) * 1.27, panF);
                midi[m.Get("id") ?? PartListNoneKey] = settings;
                var up = m.FindText("midi-unpitched");
                if (!string.IsNullOrEmpty(up)) _drumInst[m.Get("id") ?? PartListNoneKey] = Py.Int(up) - 1;
            }
            _instMid.Add(midi);
        }
        var xs = PartListTree.Repair(e.Find("part-list"));
        var (partlist, _) = PartListTree.Parse(xs, new(), new());
        return partlist;
    }

    private const string PartListNoneKey = "\0None";

    [GeneratedRegex(@"\s*[\r\n]\s*")]
    private static partial Regex NewlineRun();

    private void MakeTitle(XmlElementNode e)
    {
        var title = Py.Strip(e.FindText("work/work-title", "")!);
        var mvttl = Py.Strip(e.FindText("movement-title", "")!);
        var composer = new List<string>();
        var lyricist = new List<string>();
        var credits = new List<string>();
        foreach (var creator in e.FindAll("identification/creator"))
        {
            if (string.IsNullOrEmpty(creator.Text)) continue;
            var lines = creator.Text.Split('\n').Select(Py.Strip);
            var type = creator.Get("type");
            if (type == "composer") composer.AddRange(lines);
            else if (type is "lyricist" or "transcriber") lyricist.AddRange(lines);
        }
        foreach (var rights in e.FindAll("identification/rights"))
            if (!string.IsNullOrEmpty(rights.Text)) lyricist.AddRange(rights.Text.Split('\n').Select(Py.Strip));
        foreach (var credit in e.FindAll("credit"))
        {
            var cs = string.Concat(credit.FindAll("credit-words").Select(w => w.Text ?? ""));
            credits.Add(PyRegexSub(NewlineRun(), cs, " "));
        }
        var filtered = FilterCredits(_options.CreditFilter, credits, title, mvttl, composer, lyricist);
        var t = "";
        if (title.Length > 0) t = "T:" + title.Replace("\n", "\nT:") + "\n";
        if (mvttl.Length > 0) t += "T:" + mvttl.Replace("\n", "\nT:") + "\n";
        if (filtered.Count > 0) t += string.Join("\n", filtered.Select(c => "T:" + c)) + "\n";
        if (composer.Count > 0) t += string.Join("\n", composer.Select(c => "C:" + c)) + "\n";
        if (lyricist.Count > 0) t += string.Join("\n", lyricist.Select(c => "Z:" + c)) + "\n";
        if (t.Length > 0) _abcOut.Title = t[..^1];
        _isSib = (e.FindText("identification/encoding/software") ?? "").Contains("Sibelius", StringComparison.Ordinal);
        if (_isSib) _log.Info("Sibelius MusicXMl is unreliable");
    }

    /// <summary>Python's <c>re.sub</c> with a pattern that may match the empty string is not needed here; this
    /// pattern always consumes a newline, so .NET's Replace gives the same result.</summary>
    private static string PyRegexSub(Regex r, string s, string repl) => r.Replace(s, repl);

    /// <summary>Skips redundant credit lines; the higher the level, the less is filtered (<c>filterCredits</c>).</summary>
    private static List<string> FilterCredits(int y, List<string> credits, string title, string mvttl, List<string> composer, List<string> lyricist)
    {
        var cs = new List<string>();
        foreach (var x in credits)
        {
            if (y < 6 && (title.Contains(x, StringComparison.Ordinal) || mvttl.Contains(x, StringComparison.Ordinal))) continue;
            if (y < 5 && (composer.Contains(x) || lyricist.Contains(x))) continue;
            if (y < 4 && ((title.Length > 0 && x.Contains(title, StringComparison.Ordinal)) || (mvttl.Length > 0 && x.Contains(mvttl, StringComparison.Ordinal)))) continue;
            if (y < 3 && (composer.Any(c => x.Contains(c, StringComparison.Ordinal)) || lyricist.Any(c => x.Contains(c, StringComparison.Ordinal)))) continue;
            if (y < 2 && OnlyDigitsAndNonWord(x)) continue;
            cs.Add(x);
        }
        if (y == 0 && (title + mvttl).Length > 0) cs.Clear(); // default: credits only when there is no title
        return cs;
    }

    /// <summary><c>re.match(r'^[\d\W]*$', x)</c> with Python's Unicode \d and \w.</summary>
    private static bool OnlyDigitsAndNonWord(string x)
    {
        // '$' also matches before a final newline; [\d\W] matches newlines anyway, so a full scan is equivalent
        for (int i = 0; i < x.Length; i++)
        {
            bool digit = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(x, i) == System.Globalization.UnicodeCategory.DecimalDigitNumber;
            if (!digit && Py.IsWordChar(x, i)) return false;
            if (char.IsHighSurrogate(x[i]) && i + 1 < x.Length && char.IsLowSurrogate(x[i + 1])) i++;
        }
        return true;
    }

    private void DoDefaults(XmlElementNode e)
    {
        if (_options.PageFormat.Count != 1) return; // only with a one-value -p option
        var d = e.Find("defaults");
        if (d == null) return;
        var mils = d.FindText("scaling/millimeters");
        var tenths = d.FindText("scaling/tenths");
        if (string.IsNullOrEmpty(mils) || string.IsNullOrEmpty(tenths)) return;
        double xmlScale = Py.Float(mils) / Py.Float(tenths) / 10; // tenths -> mm
        double space = 10 * xmlScale;
        _abcOut.PageFormat["scale"] = space / 0.2117; // 0.2117 cm between staff lines at scale 1 in abcm2ps
        var paths = new[] { "page-layout/page-height", "page-layout/page-width", "page-layout/page-margins/left-margin",
            "page-layout/page-margins/right-margin", "page-layout/page-margins/top-margin", "page-layout/page-margins/bottom-margin" };
        for (int i = 0; i < 6; i++)
        {
            var v = d.FindText(paths[i]);
            var k = AbcOutput.PageKeys[i + 1];
            if ((_abcOut.PageFormat[k] ?? 0) == 0 && !string.IsNullOrEmpty(v))
            {
                try { _abcOut.PageFormat[k] = Py.Float(v) * xmlScale; }
                catch (PythonStyleException) { _log.Info($"illegal value {v} for xml element {paths[i]}"); }
            }
        }
    }

    private long VoiceOf(XmlElementNode n)
    {
        var v = Py.Int(n.FindText("voice", "1"));
        if (_isSib) v += 100 * Py.Int(n.FindText("staff", "1")); // repair a Sibelius bug
        return v;
    }

    /// <summary>Maps each voice to the staff holding most of its notes (<c>locStaffMap</c>).</summary>
    private void LocateStaffMap(XmlElementNode part)
    {
        var vmap = new Dictionary<long, Dictionary<long, long>>();
        _vceInst = new();
        _msc.VoiceNumbers = new();
        _hasStems = new();
        _stfMap = new();
        _clefMap = new();
        foreach (var n in part.FindAll("measure/note"))
        {
            var v = VoiceOf(n);
            _msc.VoiceNumbers[v] = 1;
            var sn = Py.Int(n.FindText("staff", "1"));
            _stfMap[sn] = new();
            if (!vmap.TryGetValue(v, out var d)) vmap[v] = new() { [sn] = 1 };
            else d[sn] = (d.TryGetValue(sn, out var c) ? c : 0) + 1;
            var x = n.Find("instrument");
            if (x != null) _vceInst[v] = x.Get("id") ?? PartListNoneKey;
            var stem = n.FindText("stem");
            bool noRest = n.Find("rest") == null;
            if (noRest && (string.IsNullOrEmpty(stem) || stem != "none")) _hasStems[v] = 1;
        }
        var vks = vmap.Keys.ToList();
        if (_jscript || _isSib) vks.Sort();
        foreach (var v in vks)
        {
            // the staff with most notes of voice v; ties go to the highest staff number
            var stf = vmap[v].Select(kv => (N: kv.Value, Sn: kv.Key)).OrderBy(t => t.N).ThenBy(t => t.Sn).Last().Sn;
            _stfMap[stf].Add(v);
            _vce2stf[v] = stf;
            _curStf[v] = stf;
        }
    }

    private void AddStaffMap(Dictionary<long, int> vvmap)
    {
        var part = new List<List<int>>();
        foreach (var (stf, voices) in _stfMap.OrderBy(kv => kv.Key))
        {
            var locmap = voices.Where(vvmap.ContainsKey).Select(iv => vvmap[iv]).ToList();
            var nostem = voices.Where(vvmap.ContainsKey).Select(iv => !_hasStems.ContainsKey(iv)).ToList();
            if (locmap.Count == 0) continue;
            part.Add(locmap);
            var clef = _clefMap.TryGetValue(stf, out var c) ? c : "treble";
            for (int i = 0; i < locmap.Count; i++)
            {
                var clefAttr = "";
                if (clef.StartsWith("tab", StringComparison.Ordinal))
                {
                    if (nostem[i] && !clef.Contains("nostems", StringComparison.Ordinal)) clefAttr = " nostems";
                    if (_diafret && !clef.Contains("diafret", StringComparison.Ordinal)) clefAttr += " diafret";
                }
                _abcOut.Clefs[locmap[i]] = clef + clefAttr;
            }
        }
        _staffMapAll.Add(part);
    }

    private void AddMidiMap(int ip, Dictionary<long, int> vvmap)
    {
        var instr = Py.At(_instMid, ip);
        var defInstr = instr.Count > 0 ? instr.Values.First() : MidiDefault;
        var xs = new List<(int Abc, VoiceMidi Midi)>();
        var ks = _drumNotes.OrderBy(kv => kv.Key.Voice).ThenBy(kv => kv.Key.Note, StringComparer.Ordinal).ToList();
        foreach (var (v, vabc) in vvmap)
        {
            var ds = ks.Where(kv => kv.Key.Voice == v)
                .Select(kv => new DrumNote(kv.Key.Note, kv.Value.Step, kv.Value.Midi, kv.Value.Head)).ToList();
            var id = _vceInst.TryGetValue(v, out var i) ? i : "";
            var s = instr.TryGetValue(id, out var m) ? m : defInstr;
            xs.Add((vabc, new VoiceMidi(s.Ch, s.Prg, s.Vol, s.Pan, ds)));
        }
        xs.Sort((a, b) => a.Abc.CompareTo(b.Abc));
        _midiMap.AddRange(xs.Select(x => x.Midi));
    }
}
