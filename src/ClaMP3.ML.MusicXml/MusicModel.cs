namespace ClaMP3.ML.MusicXml;

/// <summary>Per-measure state of the part being read (xml2abc's <c>Measure</c>).</summary>
internal sealed class MeasureState
{
    public int PartIndex;           // ixp
    public int Index;               // ixm: measure number (0-based)
    public long NominalDuration;    // mdur: metre value in divisions
    public long Divisions;          // divs per quarter
    public (long Beats, long BeatType) Meter = (4, 4);
    public string Attributes = "";  // signatures and tempo for this measure
    public string LeftBar = "";     // ':' at the start of a repeat
    public string RightBar = "|";
    public string VoltaNumber = ""; // lnum

    public MeasureState(int partIndex) => PartIndex = partIndex;

    public void Reset()
    {
        Attributes = "";
        LeftBar = "";
        RightBar = "|";
        VoltaNumber = "";
    }
}

/// <summary>Something placed in a voice at a time in divisions.</summary>
internal abstract class VoiceItem
{
    public long Time; // tijd
}

/// <summary>A note, rest or chord (xml2abc's <c>Note</c>).</summary>
internal sealed class NoteItem : VoiceItem
{
    public long Duration;                          // dur, in XML divisions
    public (long Num, long Den)? TimeModification; // fact
    public List<string?> Tuplet = new() { "" };    // start(s) and/or stop(s)
    public string TupletAbc = "";
    public long Beam;
    public bool Grace;
    public List<string> Before = new();
    public string After = "";
    public List<string> Notes = new();             // ns: the chord's notes
    public Dictionary<long, string> Lyrics = new();
    public string NoteDecoration = "";             // ntdec: !string!, !courtesy!

    public NoteItem() { }

    public NoteItem(long duration, string note)
    {
        Duration = duration;
        Notes.Add(note);
    }
}

/// <summary>A mutable measure-repeat marker shared by every voice of a staff: its text is only known when the
/// repeat stops (xml2abc stores a Python list <c>[start measure, text]</c> and overwrites item 0).</summary>
internal sealed class MeasureRepeatMark
{
    public object First;  // the start measure index (long) until replaced by the final string
    public string? Text;
    public MeasureRepeatMark(long start, string? text) { First = start; Text = text; }
}

/// <summary>Any ABC text that is not a note (xml2abc's <c>Elem</c>).</summary>
internal sealed class ElemItem : VoiceItem
{
    public string Str;
    public MeasureRepeatMark? Repeat;
    public ElemItem(string s) => Str = s;
    public ElemItem(MeasureRepeatMark repeat) { Str = ""; Repeat = repeat; }
}

/// <summary>Per-voice counters of notes, skipped and unpitched notes (xml2abc's <c>Counter</c>).</summary>
internal sealed class VoiceCounters
{
    private Dictionary<string, Dictionary<long, long>> _counters = new();

    public void Inc(string key, long voice)
    {
        var d = _counters[key];
        d[voice] = (d.TryGetValue(voice, out var c) ? c : 0) + 1;
    }

    public void Clear(IEnumerable<long> voices)
    {
        _counters = new()
        {
            ["note"] = voices.ToDictionary(v => v, _ => 0L),
            ["nopr"] = voices.ToDictionary(v => v, _ => 0L),
            ["nopt"] = voices.ToDictionary(v => v, _ => 0L),
        };
    }

    public long Get(string key, long voice) =>
        _counters[key].TryGetValue(voice, out var c) ? c : throw Py.KeyError(voice);

    public void PrintSummary(int part, Diagnostics log)
    {
        foreach (var iv in _counters["note"].Keys.ToList())
        {
            if (Get("nopr", iv) != 0) log.Info($"part {part}, voice {iv} has {Get("nopr", iv)} skipped non printable notes");
            if (Get("nopt", iv) != 0) log.Info($"part {part}, voice {iv} has {Get("nopt", iv)} notes without pitch");
            if (Get("note", iv) == 0) log.Info($"part {part}, skipped empty voice {iv}");
        }
    }
}

/// <summary>What xml2abc writes to stderr (<c>info</c>): warnings prefixed with <c>-- </c>.</summary>
public sealed class Diagnostics
{
    private readonly List<string> _lines = new();
    public IReadOnlyList<string> Lines => _lines;
    public void Info(string s, bool warn = true) => _lines.Add((warn ? "-- " : "") + s);
}
