using System.Text;

namespace ClaMP3.ML.MusicXml;

/// <summary>MIDI settings of one ABC voice: channel, program, volume, panning, then its percussion notes.</summary>
internal sealed record VoiceMidi(long Channel, long Program, double Volume, double Pan, List<DrumNote> DrumMap);

/// <summary>A percussion note of a voice: ABC note, staff step, MIDI pitch, notehead.</summary>
internal sealed record DrumNote(string AbcNote, string Step, long MidiNote, string NoteHead);

/// <summary>Collects the ABC body and writes the header (xml2abc's <c>ABCoutput</c>).</summary>
internal sealed class AbcOutput
{
    public static readonly string[] PageKeys = "scale,pageheight,pagewidth,leftmargin,rightmargin,topmargin,botmargin".Split(',');

    private List<string> _outList = new();
    public string Title = "T:Title";
    public string Key = "none";
    public Dictionary<int, string> Clefs = new(); // clefs of all ABC voices, in insertion order
    public string Meter = "none";
    public string Tempo = "";                     // "" -> no tempo field
    public (long, long) TempoUnits = (1, 4);
    private readonly int _tuneNumber;
    public readonly int UnitLengthOption;        // denL (-d)
    public readonly int MidiLevel;               // volpan (-m)
    public readonly List<long> ComputedUnitLengths = new(); // cmpL
    private readonly bool _jscript;
    public bool Stemless;
    public readonly Dictionary<string, double?> PageFormat = new();
    private readonly Diagnostics _log;
    private readonly string _fileName;

    public AbcOutput(string fileName, int tuneIndex, Xml2AbcOptions options, Diagnostics log)
    {
        _fileName = fileName;
        _log = log;
        _tuneNumber = options.JavaScript ? 1 : tuneIndex + 1;
        UnitLengthOption = options.UnitLength;
        MidiLevel = options.Midi;
        _jscript = options.JavaScript;
        foreach (var k in PageKeys) PageFormat[k] = null;
        if (options.PageFormat.Count == 7)
            for (int i = 0; i < 7; i++)
            {
                try { PageFormat[PageKeys[i]] = Py.Float(options.PageFormat[i]); }
                catch (PythonStyleException) { _log.Info($"illegal float {PageKeys[i]} for {options.PageFormat[i]}"); }
            }
    }

    public void Add(string s) => _outList.Add(s + "\n");

    /// <summary>Builds the header: title, %%score, L:, Q:, M:, K:, one V: line per voice (<c>mkHeader</c>).</summary>
    public void MakeHeader(List<List<List<int>>> staffMap, List<object> partList, List<VoiceMidi> midiMap)
    {
        var accVce = new List<(string, string)>();
        var accStf = new List<string>();
        var staffs = staffMap.ToList(); // staffMap itself is consumed
        foreach (var x in partList)
        {
            try { PartListTree.PrintGroupElement(x, ("", ""), false, staffMap, accVce, accStf); }
            catch (Exception) { _log.Info("lousy musicxml: error in part-list"); } // the script's bare except
        }
        var staves = string.Join(" ", accStf);
        var clfnms = new Dictionary<int, string>();
        foreach (var (part, (partname, partabbrv)) in staffs.Zip(accVce))
        {
            if (part.Count == 0) continue; // empty part
            int firstVoice = part[0][0];
            var nm = partname.Replace("\n", "\\n").Replace(".:", ".").Trim(':');
            var snm = partabbrv.Replace("\n", "\\n").Replace(".:", ".").Trim(':');
            clfnms[firstVoice] = (nm.Length > 0 ? $"nm=\"{nm}\"" : "") + (snm.Length > 0 ? $" snm=\"{snm}\"" : "");
        }
        var hd = new List<string> { $"X:{Py.D(_tuneNumber)}\n{Title}\n" };
        for (int i = 0; i < PageKeys.Length; i++)
        {
            var k = PageKeys[i];
            if (_jscript && k is "pageheight" or "topmargin" or "botmargin") continue;
            if (PageFormat[k] is { } val) hd.Add($"%%{k} {Py.FormatFixed(val, 2)}{(i > 0 ? "cm" : "")}\n");
        }
        if (staves.Length > 0 && accStf.Count > 1) hd.Add("%%score " + staves + "\n");
        var tempo = Tempo.Length > 0 ? $"Q:{Py.D(TempoUnits.Item1)}/{Py.D(TempoUnits.Item2)}={Tempo}\n" : "";
        long defL;
        if (UnitLengthOption != 0) defL = UnitLengthOption;
        else
        {
            // the most frequent computed unit length; ties: first seen (stable sort), or smallest with -j
            var counts = new Dictionary<long, int>();
            foreach (var x in ComputedUnitLengths) counts[x] = (counts.TryGetValue(x, out var c) ? c : 0) + 1;
            var ordered = _jscript
                ? counts.OrderBy(kv => -kv.Value).ThenBy(kv => kv.Key)
                : counts.OrderBy(kv => -kv.Value);
            defL = ordered.First().Key;
        }
        hd.Add($"L:1/{Py.D(defL)}\n{tempo}M:{Meter}\n");
        hd.Add($"K:{Key}\n");
        if (Stemless) hd.Add("U:s=!stemless!\n");
        foreach (var (vnum, clef0) in Clefs)
        {
            var clef = clef0;
            var midi = Py.At(midiMap, vnum - 1);
            var dmap = midi.DrumMap;
            if (dmap.Count > 0 && !clef.Contains("perc", StringComparison.Ordinal)) clef = Py.Strip(clef + " map=perc");
            hd.Add($"V:{Py.D(vnum)} {clef} {(clfnms.TryGetValue(vnum, out var names) ? names : "")}\n");
            if (clef.Contains("perc", StringComparison.Ordinal)) hd.Add("K:none\n"); // no key for a percussion voice
            if (MidiLevel > 1) // -m 2: all recognised MIDI settings
            {
                if (midi.Channel > 0 && midi.Channel != vnum) hd.Add($"%%MIDI channel {Py.D(midi.Channel)}\n");
                if (midi.Program > 0) hd.Add($"%%MIDI program {Py.D(midi.Program - 1)}\n");
                if (midi.Volume >= 0) hd.Add($"%%MIDI control 7 {Py.FormatFixed(midi.Volume, 0)}\n");
                if (midi.Pan >= 0) hd.Add($"%%MIDI control 10 {Py.FormatFixed(midi.Pan, 0)}\n");
            }
            else if (MidiLevel > 0) // -m 1: only the program (and the channel of a percussion part)
            {
                if (dmap.Count > 0 && midi.Channel > 0) hd.Add($"%%MIDI channel {Py.D(midi.Channel)}\n");
                if (midi.Program > 0) hd.Add($"%%MIDI program {Py.D(midi.Program - 1)}\n");
            }
            foreach (var d in dmap)
            {
                var notehead = d.NoteHead.Length > 0 ? d.NoteHead : "normal";
                if (AbcNotation.MidiPitch(d.AbcNote) != d.MidiNote || d.AbcNote != d.Step)
                {
                    if (MidiLevel > 0) hd.Add($"%%MIDI drummap {d.AbcNote} {Py.D(d.MidiNote)}\n");
                    hd.Add($"I:percmap {d.AbcNote} {d.Step} {Py.D(d.MidiNote)} {notehead}\n");
                }
            }
            if (defL != Py.At(ComputedUnitLengths, vnum - 1)) hd.Add($"L:1/{Py.D(ComputedUnitLengths[vnum - 1])}\n");
        }
        _outList = hd.Concat(_outList).ToList();
    }

    /// <summary>The whole ABC text as written to stdout, including the empty line after the tune (<c>writeall</c>).</summary>
    public string WriteAll()
    {
        var sb = new StringBuilder();
        foreach (var s in _outList) sb.Append(s);
        sb.Append('\n');
        _log.Info($"{_fileName} written with {Clefs.Count} voices", warn: false);
        return sb.ToString();
    }
}
