namespace ClaMP3.ML.MusicXml;

/// <summary>Divisions, key, metre, clef and measure-repeat attributes; barlines, repeats and voltas.</summary>
internal sealed partial class ScoreParser
{
    private static readonly Dictionary<string, string> ClefNames = new()
    {
        ["C1"] = "alto1", ["C2"] = "alto2", ["C3"] = "alto", ["C4"] = "tenor", ["F4"] = "bass", ["F3"] = "bass3",
        ["G2"] = "treble", ["TAB"] = "tab", ["percussion"] = "perc",
    };

    private static readonly Dictionary<long, string> ClefOctaveSuffix = new() { [-2] = "-15", [-1] = "-8", [1] = "+8", [2] = "+15" };

    private List<long> StaffVoices(long staff) => _stfMap.TryGetValue(staff, out var vs) ? vs : throw Py.KeyError(staff);

    private void DoAttributes(XmlElementNode e)
    {
        var dvstxt = e.FindText("divisions");
        if (!string.IsNullOrEmpty(dvstxt)) _msr.Divisions = Py.Int(dvstxt);
        var steps = Py.Int(e.FindText("transpose/chromatic", "0")); // a transposing instrument
        var fifths = e.FindText("key/fifths");
        bool first = _msc.Time == 0 && _msr.Index == 0; // the first attributes of the first measure
        if (!string.IsNullOrEmpty(fifths))
        {
            var (key, alts) = AbcNotation.SetKey(Py.Int(fifths), e.FindText("key/mode", "major")!);
            _msrAlts = alts;
            if (first && steps == 0 && _abcOut.Key == "none") _abcOut.Key = key; // first measure -> header
            else if (key != _abcOut.Key || !first) _msr.Attributes += "[K:" + key + "]"; // otherwise -> voice
        }
        var beats = e.FindText("time/beats");
        if (!string.IsNullOrEmpty(beats))
        {
            var unit = e.FindText("time/beat-type") ?? throw Py.TypeError("can only concatenate str (not \"NoneType\") to str");
            var mtr = beats + "/" + unit;
            if (first) _abcOut.Meter = mtr;
            else _msr.Attributes += "[M:" + mtr + "]";
            _msr.Meter = (Py.Int(beats), Py.Int(unit));
        }
        _msr.NominalDuration = Py.FloorDiv(_msr.Divisions * _msr.Meter.Beats * 4, _msr.Meter.BeatType);
        foreach (var ms in e.FindAll("measure-style"))
        {
            var n = Py.Int(ms.Get("number", "1"));
            var voices = StaffVoices(n);
            foreach (var mr in ms.FindAll("measure-repeat"))
            {
                var ty = mr.Get("type");
                if (ty == "start") // remember the start measure and text for the staff; the text is set at the stop
                {
                    var mark = new MeasureRepeatMark(_msr.Index, mr.Text);
                    _repeatStr[n] = mark;
                    foreach (var v in voices) _msc.InsertElem(v, new ElemItem(mark));
                }
                else if (ty == "stop")
                {
                    var mark = _repeatStr.TryGetValue(n, out var m) ? m : throw Py.KeyError(n);
                    var startIx = mark.First is long l ? l : throw Py.TypeError("unsupported operand type(s) for -: 'int' and 'str'");
                    double repeatCount = _msr.Index - startIx;
                    string midStr;
                    if (!string.IsNullOrEmpty(mark.Text))
                    {
                        midStr = mark.Text + " ";
                        var div = Py.Int(mark.Text);
                        if (div == 0) throw new PythonStyleException("ZeroDivisionError", "division by zero");
                        repeatCount /= div; // true division; %d truncates below
                    }
                    else midStr = "";
                    mark.First = "[I:repeat " + midStr + Py.D((long)Math.Truncate(repeatCount)) + "]";
                    _repeatStr.Remove(n);
                }
            }
        }
        var toct = e.FindText("transpose/octave-change", "");
        if (!string.IsNullOrEmpty(toct)) steps += 12 * Py.Int(toct);
        foreach (var clef in e.FindAll("clef")) // a part can have several staves
        {
            var n = Py.Int(clef.Get("number", "1"));
            var sgn = clef.FindText("sign");
            var line = sgn is not ("percussion" or "TAB") ? clef.FindText("line", "") : "";
            if (sgn == null || line == null) throw Py.TypeError("unsupported operand type(s) for +: 'NoneType' and 'str'");
            var cs = ClefNames.TryGetValue(sgn + line, out var nm) ? nm : "";
            var oct = OrNull(clef.FindText("clef-octave-change", "")) ?? "0";
            var octN = Py.Int(oct);
            cs += ClefOctaveSuffix.TryGetValue(octN, out var suffix) ? suffix : "";
            _clefOct[n] = -octN; // xml playback pitch -> abc notation pitch
            if (steps != 0) cs += " transpose=" + Py.D(steps);
            var stfdtl = e.Find("staff-details");
            if (stfdtl != null && stfdtl.HasChildren && Py.Int(stfdtl.Get("number", "1")) == n)
            {
                var lines = stfdtl.FindText("staff-lines");
                if (!string.IsNullOrEmpty(lines))
                {
                    var lns = lines == "3" && sgn == "TAB" ? "|||" : lines;
                    cs += " stafflines=" + lns;
                    Py.Int(lines); // the script keeps it for tablature (and fails on a non-number)
                }
                var strings = stfdtl.FindAll("staff-tuning");
                if (strings.Count > 0)
                {
                    var tuning = strings.Select(st =>
                    {
                        var stp = st.FindText("tuning-step");
                        var to = st.FindText("tuning-octave");
                        if (stp == null || to == null) throw Py.TypeError("unsupported operand type(s) for +");
                        return stp + to;
                    });
                    cs += " strings=" + string.Join(",", tuning);
                }
                var capo = stfdtl.FindText("capo");
                if (!string.IsNullOrEmpty(capo)) cs += " capo=" + capo;
            }
            _curClef[n] = cs; // the current clef (for percussion maps)
            if (first) _clefMap[n] = cs; // the clef goes to the header
            else
            {
                foreach (var v in StaffVoices(n)) // a clef change goes to all voices of staff n
                {
                    if (n != CurrentStaff(v)) // the voice is not on its home staff
                    {
                        var dstaff = n - CurrentStaff(v);
                        _curStf[v] = n;
                        _msc.AppendElem(v, "[I:staff " + Py.SignedD(dstaff) + "]");
                    }
                    _msc.AppendElem(v, "[K:" + cs + "]");
                }
            }
        }
    }

    /// <summary>Barline style, repeats and voltas; returns 1 (begin repeat) or 2 (end repeat) when unfolding.</summary>
    private int DoBarline(XmlElementNode e)
    {
        var repElem = e.Find("repeat");
        var rep = repElem?.Get("direction");
        if (_options.Unfold) // unfold repeats, don't translate barlines
            return repElem != null && !string.IsNullOrEmpty(rep) ? (rep == "forward" ? 1 : 2) : 0;
        var loc = e.Get("location", "right");
        if (loc == "right") // only the right side changes style
        {
            var style = e.FindText("bar-style");
            if (style == "light-light") _msr.RightBar = "||";
            else if (style == "light-heavy") _msr.RightBar = "|]";
        }
        if (rep != null) // the direction; a repeat without one is ignored
        {
            if (rep == "forward") _msr.LeftBar = ":";
            else _msr.RightBar = ":|"; // overrides the barline style
        }
        var end = e.Find("ending");
        if (end != null)
        {
            if (end.Get("type") == "start")
            {
                var n = end.Get("number", "1")!.Replace(".", "").Replace(" ", "");
                try { foreach (var part in n.Split(',')) Py.Int(part); } // should be a list of integers
                catch (PythonStyleException) { n = "\"" + Py.Strip(n) + "\""; } // illegal MusicXML
                _msr.VoltaNumber = n; // a start is assumed to be at the beginning of a measure
            }
            else if (_msr.RightBar == "|") _msr.RightBar = "||"; // stop or discontinue on a plain barline
        }
        return 0;
    }
}
