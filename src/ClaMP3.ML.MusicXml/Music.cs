namespace ClaMP3.ML.MusicXml;

/// <summary>The voices of the part being read, measure by measure, and their ABC output (xml2abc's <c>Music</c>).
/// Voice ids are XML voice numbers; dictionaries keep insertion order as Python's do.</summary>
internal sealed class Music
{
    private readonly AbcOutput _abcOut;
    private readonly Diagnostics _log;

    public long Time;         // tijd: the current time
    public long MaxTime;      // maximum time in the measure
    public List<Dictionary<long, List<VoiceItem>>> Measures = new(); // gMaten
    public List<Dictionary<long, Dictionary<long, (string Text, bool Melisma)>>> MeasureLyrics = new(); // gLyrics
    public Dictionary<long, int> VoiceNumbers = new(); // vnums: voice ids used in the part, in order of appearance
    public readonly VoiceCounters Counters = new();
    public int AbcVoiceCount = 1; // vceCnt over all parts
    public NoteItem? LastNote;
    private int _barsPerLine;
    private int _charsPerLine;
    public bool RepeatBrackets; // repbra: a volta occurs somewhere
    private readonly int _volta;
    private readonly bool _jscript;

    private Dictionary<long, long> _voiceTimes = new();
    public Dictionary<long, List<VoiceItem>> Voices = new();
    private Dictionary<long, List<Dictionary<long, string>>> _noteLyrics = new();

    public Music(Xml2AbcOptions options, AbcOutput abcOut, Diagnostics log)
    {
        _abcOut = abcOut;
        _log = log;
        _barsPerLine = options.BarsPerLine;
        _charsPerLine = options.CharsPerLine;
        _volta = options.Volta;
        _jscript = options.JavaScript;
    }

    public void InitVoices(bool newPart = false)
    {
        _voiceTimes = new();
        Voices = new();
        _noteLyrics = new();
        foreach (var v in VoiceNumbers.Keys)
        {
            _voiceTimes[v] = 0;
            Voices[v] = new();
            _noteLyrics[v] = new();
        }
        if (newPart) Counters.Clear(VoiceNumbers.Keys);
    }

    public void IncTime(long dt)
    {
        Time += dt;
        if (Time < 0) Time = 0; // erroneous <backup>
        if (Time > MaxTime) MaxTime = Time;
    }

    private List<VoiceItem> VoiceList(long v) => Voices.TryGetValue(v, out var l) ? l : throw Py.KeyError(v);

    /// <summary>Inserts at the start of voice v in the current measure (sorted later).</summary>
    public void InsertElem(long v, ElemItem obj)
    {
        obj.Time = 0;
        VoiceList(v).Insert(0, obj);
    }

    public void InsertElem(long v, string elem) => InsertElem(v, new ElemItem(elem));

    private void AppendObj(long v, VoiceItem obj, long dur)
    {
        obj.Time = Time;
        VoiceList(v).Add(obj);
        IncTime(dur);
        if (Time > _voiceTimes[v]) _voiceTimes[v] = Time;
    }

    public void AppendElem(long v, string elem, bool count = false)
    {
        AppendObj(v, new ElemItem(elem), 0);
        if (count) Counters.Inc("note", v); // count some elements as notes too
    }

    /// <summary>Inserts an element at a given time.</summary>
    public void AppendElemAt(long v, string elem, long time) => VoiceList(v).Add(new ElemItem(elem) { Time = time });

    public void AppendNote(long v, NoteItem note, string noot)
    {
        note.Notes.Add(note.NoteDecoration + noot);
        AppendObj(v, note, note.Duration);
        LastNote = note; // for later chords and grace closing
        if (noot != "z" && noot != "x")
        {
            Counters.Inc("note", v);
            if (!note.Grace) _noteLyrics[v].Add(note.Lyrics); // even when it has no lyrics
        }
    }

    private VoiceItem? LastRecord(long voice)
    {
        if (Measures.Count == 0) return null;
        var list = Measures[^1].TryGetValue(voice, out var l) ? l : throw Py.KeyError(voice);
        return list.Count > 0 ? list[^1] : throw Py.IndexError("list index out of range");
    }

    private bool LastMelisma(long voice, long num)
    {
        if (MeasureLyrics.Count > 0)
        {
            var lyrdict = MeasureLyrics[^1][voice];
            if (lyrdict.TryGetValue(num, out var x)) return x.Melisma;
        }
        return false;
    }

    public void AddChord(NoteItem note, string noot) // chord notes follow immediately
    {
        var last = LastNote ?? throw Py.AttributeError("'NoneType' object has no attribute 'before'");
        foreach (var d in note.Before)
            if (!last.Before.Contains(d)) last.Before.Add(d);
        last.Notes.Add(note.NoteDecoration + noot);
    }

    private static ElemItem AsElem(VoiceItem p) =>
        p as ElemItem ?? throw Py.AttributeError("'Note' object has no attribute 'str'");

    public void AddBar(string? lineBreak, MeasureState m)
    {
        if (m.NominalDuration != 0 && MaxTime > m.NominalDuration)
            _log.Info($"measure {m.Index + 1} in part {m.PartIndex + 1} longer than metre");
        Time = MaxTime; // the time of the bar lines inserted here
        foreach (var v in VoiceNumbers.Keys)
        {
            if (m.LeftBar.Length > 0 || m.VoltaNumber.Length > 0)
            {
                var p = LastRecord(v);
                if (p != null) // modify the previous right barline
                {
                    var pe = AsElem(p);
                    if (pe.Repeat != null)
                    {
                        if (m.LeftBar.Length > 0) throw Py.TypeError("can only concatenate list (not \"str\") to list");
                        // list += str only extends the list; item 0 (what is printed) is unchanged
                        if (_volta != 3 && m.VoltaNumber.Length > 0) RepeatBrackets = true;
                    }
                    else
                    {
                        var x = pe.Str;
                        if (m.LeftBar.Length > 0) x = (x + m.LeftBar).Replace(":|:", "::").Replace("||", "|");
                        if (_volta == 3)
                        {
                            if (m.PartIndex + v == VoiceNumbers.Keys.Min()) x += m.VoltaNumber;
                        }
                        else if (m.VoltaNumber.Length > 0)
                        {
                            x += m.VoltaNumber; // volta number(s) or text to all voices
                            RepeatBrackets = true;
                        }
                        pe.Str = x;
                    }
                }
                else if (m.LeftBar.Length > 0) InsertElem(v, "|:"); // a part starting with a repeat
            }
            if (!string.IsNullOrEmpty(lineBreak))
            {
                var p = LastRecord(v);
                if (p != null)
                {
                    var pe = AsElem(p);
                    if (pe.Repeat == null) pe.Str += lineBreak;
                }
            }
            if (m.Attributes.Length > 0) InsertElem(v, m.Attributes);
            AppendElem(v, " " + m.RightBar); // the barline at time maxtime
            Voices[v] = VoiceLayout.SortMeasure(Voices[v], m, _log);
            var lyrs = _noteLyrics[v];
            var lyrdict = new Dictionary<long, (string, bool)>();
            long maxNums = 0;
            foreach (var d in lyrs) foreach (var num in d.Keys) maxNums = Math.Max(maxNums, num);
            for (long i = maxNums; i > 0; i--)
            {
                var xs = lyrs.Select(syl => syl.TryGetValue(i, out var t) ? t : "").ToList();
                var melis = LastMelisma(v, i);
                lyrdict[i] = AbcNotation.Lyrics(xs, melis);
            }
            _measureLyricsPending[v] = lyrdict;
            VoiceLayout.MakeBroken(Voices[v]);
        }
        Measures.Add(Voices);
        MeasureLyrics.Add(_measureLyricsPending);
        _measureLyricsPending = new();
        Time = MaxTime = 0;
        InitVoices();
    }

    private Dictionary<long, Dictionary<long, (string Text, bool Melisma)>> _measureLyricsPending = new();

    /// <summary>Writes all voices of part ip and returns the map XML voice → ABC voice number (<c>outVoices</c>).</summary>
    public Dictionary<long, int> OutVoices(List<long> divs, int ip, bool isSib)
    {
        var vvmap = new Dictionary<long, int>();
        var vnumKeys = VoiceNumbers.Keys.ToList();
        if (_jscript || isSib) vnumKeys.Sort();
        long lvc = vnumKeys.Count > 0 ? vnumKeys.Min() : 1;
        foreach (var iv in vnumKeys)
        {
            if (Counters.Get("note", iv) == 0) continue; // skip empty voices
            long unitL = _abcOut.UnitLengthOption != 0 ? _abcOut.UnitLengthOption : VoiceLayout.ComputeUnitLength(iv, Measures, divs);
            _abcOut.ComputedUnitLengths.Add(unitL);
            var vn = new List<string>();
            var vl = new Dictionary<long, List<string>>();
            for (int im = 0; im < Measures.Count; im++)
            {
                var measure = Measures[im][iv];
                vn.Add(VoiceLayout.OutVoice(measure, divs[im], unitL));
                VoiceLayout.CheckMelismas(MeasureLyrics, Measures, im, iv);
                foreach (var (n, (lyrstr, _)) in MeasureLyrics[im][iv])
                {
                    if (vl.TryGetValue(n, out var lines))
                    {
                        while (lines.Count < im) lines.Add("");
                        lines.Add(lyrstr);
                    }
                    else
                    {
                        lines = Enumerable.Repeat("", im).ToList();
                        lines.Add(lyrstr);
                        vl[n] = lines;
                    }
                }
            }
            foreach (var lyrs in vl.Values) // fill up empty lyric measures at the end
                while (lyrs.Count < vn.Count) lyrs.Add("");
            _abcOut.Add("V:" + Py.D(AbcVoiceCount));
            if (RepeatBrackets)
            {
                if (_volta == 1 && AbcVoiceCount > 1) _abcOut.Add("I:repbra 0");
                if (_volta == 2 && iv > lvc) _abcOut.Add("I:repbra 0");
            }
            if (_charsPerLine > 0) _barsPerLine = 0; // -n overrules -b
            else if (_barsPerLine == 0) _charsPerLine = 100; // the default
            long bn = 0;
            while (vn.Count > 0)
            {
                int ib = 1;
                var chunk = vn[0];
                int chunkLen = Py.Len(chunk);
                while (ib < vn.Count)
                {
                    int next = Py.Len(vn[ib]);
                    if (_charsPerLine > 0 && chunkLen + next >= _charsPerLine) break; // line full (characters)
                    if (_barsPerLine > 0 && ib >= _barsPerLine) break;             // line full (bars)
                    chunk += vn[ib];
                    chunkLen += next;
                    ib++;
                }
                bn += ib;
                _abcOut.Add(chunk + " %" + Py.D(bn)); // line with bar number
                vn.RemoveRange(0, ib);
                foreach (var (_, lyrs) in vl.OrderBy(kv => kv.Key))
                {
                    var take = Math.Min(ib, lyrs.Count);
                    _abcOut.Add("w: " + string.Join("|", lyrs.Take(take)) + "|");
                    lyrs.RemoveRange(0, take);
                }
            }
            vvmap[iv] = AbcVoiceCount;
            AbcVoiceCount++;
        }
        Measures = new();
        MeasureLyrics = new();
        Counters.PrintSummary(ip + 1, _log);
        return vvmap;
    }
}
