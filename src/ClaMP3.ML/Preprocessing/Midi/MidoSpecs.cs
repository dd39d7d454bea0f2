using System.Collections.Frozen;
using System.Numerics;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>A channel or system message type of mido 1.3.0 (<c>messages/specs.py</c>).</summary>
internal sealed record MessageSpec(int StatusByte, string Type, string[] ValueNames, int Length)
{
    public bool IsChannel => StatusByte < 0xf0;
    /// <summary>mido's <c>REALTIME_TYPES</c> (which, oddly, holds tune_request but not active_sensing or reset):
    /// <c>write_track</c> refuses these.</summary>
    public bool IsRealtimeForSave => Type is "tune_request" or "clock" or "start" or "continue" or "stop";
}

/// <summary>A meta message type of mido 1.3.0 (<c>midifiles/meta.py</c>): attributes in order and their defaults.</summary>
internal sealed record MetaSpec(int TypeByte, string Type, string[] Attributes, MidoValue[] Defaults)
{
    /// <summary>The eight text-like metas: latin-1 text, dropped by <c>--m3_compatible</c>, unescaped by mtf2midi.</summary>
    public bool IsTextLike => TypeByte is 0x01 or 0x02 or 0x03 or 0x04 or 0x05 or 0x06 or 0x07 or 0x09;
}

/// <summary>mido 1.3.0's message tables, attribute checks (with its error texts), and the byte encoding of each type.</summary>
internal static class MidoSpecs
{
    private static readonly MidoValue Zero = MidoValue.FromInt(0);

    public static readonly MessageSpec Sysex = new(0xf0, "sysex", ["data"], int.MaxValue);

    private static readonly MessageSpec[] MessageSpecs =
    [
        new(0x80, "note_off", ["channel", "note", "velocity"], 3),
        new(0x90, "note_on", ["channel", "note", "velocity"], 3),
        new(0xa0, "polytouch", ["channel", "note", "value"], 3),
        new(0xb0, "control_change", ["channel", "control", "value"], 3),
        new(0xc0, "program_change", ["channel", "program"], 2),
        new(0xd0, "aftertouch", ["channel", "value"], 2),
        new(0xe0, "pitchwheel", ["channel", "pitch"], 3),
        Sysex,
        new(0xf1, "quarter_frame", ["frame_type", "frame_value"], 2),
        new(0xf2, "songpos", ["pos"], 3),
        new(0xf3, "song_select", ["song"], 2),
        new(0xf6, "tune_request", [], 1),
        new(0xf8, "clock", [], 1),
        new(0xfa, "start", [], 1),
        new(0xfb, "continue", [], 1),
        new(0xfc, "stop", [], 1),
        new(0xfe, "active_sensing", [], 1),
        new(0xff, "reset", [], 1),
    ];

    private static readonly MetaSpec[] MetaSpecs =
    [
        new(0x00, "sequence_number", ["number"], [Zero]),
        new(0x01, "text", ["text"], [MidoValue.FromStr("")]),
        new(0x02, "copyright", ["text"], [MidoValue.FromStr("")]),
        new(0x03, "track_name", ["name"], [MidoValue.FromStr("")]),
        new(0x04, "instrument_name", ["name"], [MidoValue.FromStr("")]),
        new(0x05, "lyrics", ["text"], [MidoValue.FromStr("")]),
        new(0x06, "marker", ["text"], [MidoValue.FromStr("")]),
        new(0x07, "cue_marker", ["text"], [MidoValue.FromStr("")]),
        new(0x09, "device_name", ["name"], [MidoValue.FromStr("")]),
        new(0x20, "channel_prefix", ["channel"], [Zero]),
        new(0x21, "midi_port", ["port"], [Zero]),
        new(0x2f, "end_of_track", [], []),
        new(0x51, "set_tempo", ["tempo"], [MidoValue.FromInt(500000)]),
        new(0x54, "smpte_offset", ["frame_rate", "hours", "minutes", "seconds", "frames", "sub_frames"],
            [MidoValue.FromInt(24), Zero, Zero, Zero, Zero, Zero]),
        new(0x58, "time_signature", ["numerator", "denominator", "clocks_per_click", "notated_32nd_notes_per_beat"],
            [MidoValue.FromInt(4), MidoValue.FromInt(4), MidoValue.FromInt(24), MidoValue.FromInt(8)]),
        new(0x59, "key_signature", ["key"], [MidoValue.FromStr("C")]),
        new(0x7f, "sequencer_specific", ["data"], [MidoValue.FromList([])]),
    ];

    /// <summary><c>SPEC_BY_STATUS</c>: channel types for all 16 channels, system types by their byte; null where undefined.</summary>
    private static readonly MessageSpec?[] ByStatus = BuildByStatus();
    private static readonly MetaSpec?[] MetaByTypeByte = BuildMetaByTypeByte();
    private static readonly FrozenDictionary<string, MessageSpec> MessageByType = MessageSpecs.ToFrozenDictionary(s => s.Type);
    private static readonly FrozenDictionary<string, MetaSpec> MetaByType = MetaSpecs.ToFrozenDictionary(s => s.Type);

    public static readonly MetaSpec EndOfTrack = MetaByType["end_of_track"];

    private static MessageSpec?[] BuildByStatus()
    {
        var table = new MessageSpec?[256];
        foreach (var spec in MessageSpecs)
        {
            if (spec.IsChannel) for (int ch = 0; ch < 16; ch++) table[spec.StatusByte | ch] = spec;
            else table[spec.StatusByte] = spec;
        }
        return table;
    }

    private static MetaSpec?[] BuildMetaByTypeByte()
    {
        var table = new MetaSpec?[256];
        foreach (var spec in MetaSpecs) table[spec.TypeByte] = spec;
        return table;
    }

    public static MessageSpec? MessageByStatus(int statusByte) => ByStatus[statusByte];
    public static MetaSpec? MetaByByte(int typeByte) => MetaByTypeByte[typeByte];
    public static MessageSpec? MessageByName(string type) => MessageByType.GetValueOrDefault(type);
    public static MetaSpec? MetaByName(string type) => MetaByType.GetValueOrDefault(type);

    // ---- key signatures and SMPTE frame rates (meta.py) ----

    private static readonly string[] MajorKeys = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"];
    private static readonly string[] MinorKeys = ["Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m"];
    private static readonly FrozenDictionary<string, (int Sharps, int Mode)> KeyEncode =
        MajorKeys.Select((k, i) => (k, (i - 7, 0))).Concat(MinorKeys.Select((k, i) => (k, (i - 7, 1))))
            .ToFrozenDictionary(p => p.k, p => p.Item2);

    public static string? DecodeKey(int sharps, int mode) =>
        sharps is >= -7 and <= 7 && mode is 0 or 1 ? (mode == 0 ? MajorKeys : MinorKeys)[sharps + 7] : null;

    /// <summary>frame_rate code (the top 3 bits of the hours byte) → mido's value (29.97 is the only float).</summary>
    public static MidoValue? DecodeFrameRate(int code) => code switch
    {
        0 => MidoValue.FromInt(24), 1 => MidoValue.FromInt(25), 2 => MidoValue.FromFloat(29.97), 3 => MidoValue.FromInt(30), _ => null,
    };

    private static int? EncodeFrameRate(MidoValue v) => v.Kind switch
    {
        MidoValueKind.Int => v.Int switch { 24 => 0, 25 => 1, 30 => 3, _ => null },
        MidoValueKind.Float => v.Float switch { 24.0 => 0, 25.0 => 1, 29.97 => 2, 30.0 => 3, _ => null },
        _ => null,
    };

    /// <summary><c>math.log(value, 2)</c> is an exact whole number (mido's power-of-two test for denominators).
    /// CPython computes <c>log(x) / log(2)</c> with the C library, so 2**29 gives 29.000000000000004 and is refused.</summary>
    public static bool IsMidoPowerOfTwo(MidoValue value, out int exponent)
    {
        double encoded = Math.Log(value.Kind == MidoValueKind.BigInt ? value.Float : value.Int) / Math.Log(2.0);
        exponent = (int)Math.Truncate(encoded);
        return encoded == exponent;
    }

    // ---- checks (messages/checks.py and the MetaSpec.check methods), with mido's exception texts ----

    /// <summary><c>check_value(name, value)</c> for a channel/system message attribute.</summary>
    public static void CheckMessageValue(string name, MidoValue v)
    {
        // The common case first: an in-range int for a 7-bit attribute.
        if (v.Kind == MidoValueKind.Int && v.Int is >= 0 and <= 127 && name is "note" or "velocity" or "control" or "value" or "program" or "song") return;
        switch (name)
        {
            case "time":
                if (!v.IsNumber) throw MidoException.Type("time must be int or float");
                break;
            case "channel":
                CheckIntegral(v, 0, 15, "channel must be int", "channel must be in range 0..15");
                break;
            case "pos":
                CheckIntegral(v, 0, 16383, "song pos must be int", "song pos must be in range 0..16383");
                break;
            case "pitch":
                CheckIntegral(v, -8192, 8191, "pichwheel value must be int", "pitchwheel value must be in range -8192..8191");
                break;
            case "frame_type":
                CheckIntegral(v, 0, 7, "frame_type must be int", "frame_type must be in range 0..7");
                break;
            case "frame_value":
                CheckIntegral(v, 0, 15, "frame_value must be int", "frame_value must be in range 0..15");
                break;
            case "data":
                CheckData(v);
                break;
            default: // control, note, program, song, value, velocity
                CheckDataByte(v);
                break;
        }
    }

    private static void CheckDataByte(MidoValue v) =>
        CheckIntegral(v, 0, 127, "data byte must be int", "data byte must be in range 0..127");

    private static void CheckIntegral(MidoValue v, long low, long high, string typeMessage, string rangeMessage)
    {
        if (!v.IsIntegral) throw MidoException.Type(typeMessage);
        if (!v.IsInt || v.Int < low || v.Int > high) throw MidoException.Value(rangeMessage);
    }

    /// <summary><c>check_data</c>: iterates the value, so a str fails on its first character.</summary>
    public static void CheckData(MidoValue v)
    {
        switch (v.Kind)
        {
            case MidoValueKind.Int or MidoValueKind.BigInt or MidoValueKind.Float:
                throw MidoException.Type($"'{v.PythonTypeName}' object is not iterable");
            case MidoValueKind.Str:
                if (v.Str!.Length > 0) throw MidoException.Type("data byte must be int");
                break;
            default:
                foreach (int b in v.Items!)
                    if (b is < 0 or > 127) throw MidoException.Value("data byte must be in range 0..127");
                break;
        }
    }

    /// <summary><c>MetaSpec.check(name, value)</c>; the time is checked like any message's.</summary>
    public static void CheckMetaValue(MetaSpec spec, string name, MidoValue v)
    {
        if (name == "time") { CheckMessageValue("time", v); return; }
        switch (spec.Type)
        {
            case "sequence_number": CheckInt(v, 0, 0xffff); break;
            case "text" or "copyright" or "track_name" or "instrument_name" or "lyrics" or "marker" or "cue_marker" or "device_name":
                if (v.Kind != MidoValueKind.Str) throw MidoException.Type("attribute must be a string");
                break;
            case "channel_prefix": CheckInt(v, 0, 0xff); break;
            case "midi_port": CheckInt(v, 0, 255); break;
            case "set_tempo": CheckInt(v, 0, 0xffffff); break;
            case "smpte_offset":
                switch (name)
                {
                    case "frame_rate":
                        if (v.Kind == MidoValueKind.List) throw MidoException.Type("unhashable type: 'list'");
                        // mido builds its message with ', '.join() over the numeric keys, which itself raises.
                        if (EncodeFrameRate(v) is null) throw MidoException.Type("sequence item 0: expected str instance, int found");
                        break;
                    case "hours" or "frames": CheckInt(v, 0, 255); break;
                    case "minutes" or "seconds": CheckInt(v, 0, 59); break;
                    case "sub_frames": CheckInt(v, 0, 99); break;
                }
                break;
            case "time_signature":
                if (name == "denominator")
                {
                    CheckInt(v, 1, BigInteger.Pow(2, 255));
                    if (!IsMidoPowerOfTwo(v, out _)) throw MidoException.Value("denominator must be a power of 2");
                }
                else CheckInt(v, 0, 255);
                break;
            case "key_signature":
                if (v.Kind == MidoValueKind.List) throw MidoException.Type("unhashable type: 'list'");
                if (v.Kind != MidoValueKind.Str || !KeyEncode.ContainsKey(v.Str!))
                    throw MidoException.Value("invalid key " + (v.Kind == MidoValueKind.Str ? PythonStrings.Repr(v.Str!) : v.ToString()));
                break;
        }
    }

    private static void CheckInt(MidoValue v, BigInteger low, BigInteger high)
    {
        if (!v.IsIntegral) throw MidoException.Type("attribute must be an integer");
        if (v.Big < low || v.Big > high) throw MidoException.Value($"attribute must be in range {low}..{high}");
    }

    // ---- encoding (messages/encode.py, MetaSpec.encode) ----

    /// <summary><c>msg.bytes()</c> of a channel/system message (not sysex, which <c>write_track</c> frames itself).</summary>
    public static void EncodeMessage(MidoMessage msg, List<byte> into)
    {
        var spec = msg.Spec!;
        var v = msg.Values;
        switch (spec.Type)
        {
            case "pitchwheel":
            {
                long pitch = v[1].Int + 8192;
                into.Add((byte)(0xe0 | v[0].Int)); into.Add((byte)(pitch & 0x7f)); into.Add((byte)(pitch >> 7));
                break;
            }
            case "quarter_frame": into.Add(0xf1); into.Add((byte)((v[0].Int << 4) | v[1].Int)); break;
            case "songpos": into.Add(0xf2); into.Add((byte)(v[0].Int & 0x7f)); into.Add((byte)(v[0].Int >> 7)); break;
            default:
            {
                if (spec.IsChannel)
                {
                    into.Add((byte)(spec.StatusByte | (int)v[0].Int));
                    for (int k = 1; k < v.Length; k++) into.Add((byte)v[k].Int);
                }
                else
                {
                    into.Add((byte)spec.StatusByte);
                    foreach (var x in v) into.Add((byte)x.Int);
                }
                break;
            }
        }
    }

    /// <summary>The data bytes of a meta message (<c>spec.encode(msg)</c>); values beyond a byte fail the way
    /// <c>bytearray.extend</c> does.</summary>
    public static byte[] EncodeMeta(MetaSpec spec, MidoValue[] v)
    {
        switch (spec.Type)
        {
            case "sequence_number": return ToBytes([v[0].Int >> 8, v[0].Int & 0xff]);
            case "text" or "copyright" or "track_name" or "instrument_name" or "lyrics" or "marker" or "cue_marker" or "device_name":
                return EncodeLatin1(v[0].Str!);
            case "channel_prefix" or "midi_port": return ToBytes([v[0].Int]);
            case "end_of_track": return [];
            case "set_tempo": { long t = v[0].Int; return ToBytes([t >> 16, (t >> 8) & 0xff, t & 0xff]); }
            case "smpte_offset":
            {
                long frameRateBits = (long)EncodeFrameRate(v[0])!.Value << 5;
                return ToBytes([frameRateBits | v[1].Int, v[2].Int, v[3].Int, v[4].Int, v[5].Int]);
            }
            case "time_signature":
                IsMidoPowerOfTwo(v[1], out int exponent);
                return ToBytes([v[0].Int, exponent, v[2].Int, v[3].Int]);
            case "key_signature":
            {
                var (sharps, mode) = KeyEncode[v[0].Str!];
                return ToBytes([sharps & 0xff, mode]);
            }
            case "sequencer_specific":
                return v[0].Kind switch
                {
                    MidoValueKind.List or MidoValueKind.Tuple => ToBytes(v[0].Items!.Select(i => (long)i).ToArray()),
                    MidoValueKind.Str when v[0].Str!.Length == 0 => [],
                    MidoValueKind.Str => throw MidoException.Type("'str' object cannot be interpreted as an integer"),
                    _ => throw MidoException.Type($"'{v[0].PythonTypeName}' object is not iterable"),
                };
            default: throw new InvalidOperationException("no encoder for meta type " + spec.Type);
        }
    }

    private static byte[] ToBytes(long[] values)
    {
        var bytes = new byte[values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            if (values[k] is < 0 or > 255) throw MidoException.Value("byte must be in range(0, 256)");
            bytes[k] = (byte)values[k];
        }
        return bytes;
    }

    private static byte[] EncodeLatin1(string s)
    {
        var bytes = new byte[s.Length];
        for (int k = 0; k < s.Length; k++)
        {
            if (s[k] > 0xff)
                throw new MidoException("UnicodeEncodeError",
                    $"'latin-1' codec can't encode character '\\u{(int)s[k]:x4}' in position {k}: ordinal not in range(256)");
            bytes[k] = (byte)s[k];
        }
        return bytes;
    }
}
