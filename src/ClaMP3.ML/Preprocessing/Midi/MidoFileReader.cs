using System.Numerics;
using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>A Standard MIDI File as <c>mido.MidiFile(filename)</c> (1.3.0) loads it.</summary>
internal sealed class MidoFile
{
    public MidoFile(int format, int ticksPerBeat, List<List<MidoMessage>> tracks)
    {
        Format = format; TicksPerBeat = ticksPerBeat; Tracks = tracks;
    }

    /// <summary>The header's format word, read as a signed 16-bit number and not validated (as mido does).</summary>
    public int Format { get; }
    /// <summary>The division, signed: an SMPTE division shows as a negative number.</summary>
    public int TicksPerBeat { get; }
    public List<List<MidoMessage>> Tracks { get; }
}

/// <summary>Reads MIDI bytes with mido 1.3.0's rules, quirks included (see PREPROCESS.md §1.2): a signed header,
/// exactly <c>ntracks</c> MTrk chunks, running status that meta events leave alone but sysex F0/F7 take over, a track
/// loop that stops only when the position lands exactly on the chunk end (an overrunning message keeps reading into
/// the next chunk), latin-1 meta text, and an unknown meta event that loses its delta time.</summary>
internal sealed class MidoFileReader
{
    /// <summary>mido's <c>MAX_MESSAGE_LENGTH</c>.</summary>
    private const int MaxMessageLength = 1_000_000;

    private readonly byte[] _data;
    private int _pos;
    private int _trackIndex = -1;

    private MidoFileReader(byte[] data) => _data = data;

    public static MidoFile Read(byte[] data) => new MidoFileReader(data).ReadFile();

    private MidoFile ReadFile()
    {
        var (name, size) = ReadChunkHeader("the MThd header");
        if (name != "MThd") throw new MidoException("OSError", "MThd not found. Probably not a MIDI file");
        // infile.read(size): a short read is fine as long as the 6 bytes mido unpacks are there.
        int available = (int)Math.Min(size, (long)(_data.Length - _pos));
        if (available < 6)
            throw new MidoException("EOFError", "", $"unexpected end of file: the MThd chunk holds {available} of the 6 header bytes");
        int format = (short)(_data[_pos] << 8 | _data[_pos + 1]);
        int numTracks = (short)(_data[_pos + 2] << 8 | _data[_pos + 3]);
        int division = (short)(_data[_pos + 4] << 8 | _data[_pos + 5]);
        _pos += available;

        var tracks = new List<List<MidoMessage>>(Math.Max(numTracks, 0));
        for (int i = 0; i < numTracks; i++)
        {
            _trackIndex = i;
            tracks.Add(ReadTrack());
        }
        return new MidoFile(format, division, tracks);
    }

    private (string Name, long Size) ReadChunkHeader(string what)
    {
        if (_data.Length - _pos < 8)
            throw new MidoException("EOFError", "", $"unexpected end of file at byte {_pos} while reading {what} (8-byte chunk header)");
        string name = Encoding.Latin1.GetString(_data, _pos, 4);
        long size = (long)_data[_pos + 4] << 24 | (long)_data[_pos + 5] << 16 | (long)_data[_pos + 6] << 8 | _data[_pos + 7];
        _pos += 8;
        return (name, size);
    }

    private List<MidoMessage> ReadTrack()
    {
        var (name, size) = ReadChunkHeader($"track {_trackIndex}");
        if (name != "MTrk")
            throw new MidoException("OSError", "no MTrk header at start of track",
                $"track {_trackIndex} at byte {_pos - 8} starts with {PythonStrings.Repr(name)}");

        var track = new List<MidoMessage>();
        long start = _pos;
        int? lastStatus = null;
        while (_pos - start != size)
        {
            int messageStart = _pos;
            try
            {
                long delta = ReadVariableInt();
                int status = ReadByte();
                int? peek = null;
                if (status < 0x80)
                {
                    if (lastStatus is null) throw new MidoException("OSError", "running status without last_status");
                    peek = status;
                    status = lastStatus.Value;
                }
                else if (status != 0xff)
                {
                    // Meta events do not change running status; everything else (sysex included) does.
                    lastStatus = status;
                }

                if (status == 0xff) track.Add(ReadMeta(delta));
                else if (status is 0xf0 or 0xf7) track.Add(ReadSysex(delta)); // a running-status data byte is dropped here
                else track.Add(ReadChannelOrSystem(status, peek, delta));
            }
            catch (MidoException e) when (e.Detail is null)
            {
                throw e.WithDetail($"track {_trackIndex}, event at byte {messageStart}");
            }
        }
        return track;
    }

    private int ReadByte()
    {
        if (_pos >= _data.Length) throw new MidoException("EOFError", "", $"unexpected end of file in track {_trackIndex}");
        return _data[_pos++];
    }

    /// <summary><c>read_variable_int</c>: as many continuation bytes as the file holds. Python's ints are unbounded;
    /// a value beyond 63 bits is refused here instead.</summary>
    private long ReadVariableInt()
    {
        long value = 0;
        while (true)
        {
            int b = ReadByte();
            if (value > (long.MaxValue >> 7))
                throw new MidoException("OverflowError", "variable-length quantity does not fit in 63 bits (not supported by this port)");
            value = (value << 7) | (long)(b & 0x7f);
            if (b < 0x80) return value;
        }
    }

    private int[] ReadBytes(long size)
    {
        if (size > MaxMessageLength)
            throw new MidoException("OSError", $"Message length {size} exceeds maximum length {MaxMessageLength}");
        if (size <= 0) return [];
        if (_data.Length - _pos < size)
        {
            _pos = _data.Length;
            throw new MidoException("EOFError", "", $"unexpected end of file in track {_trackIndex}: {size} data bytes announced");
        }
        var bytes = new int[size];
        for (int k = 0; k < size; k++) bytes[k] = _data[_pos + k];
        _pos += (int)size;
        return bytes;
    }

    private MidoMessage ReadChannelOrSystem(int status, int? peek, long delta)
    {
        var spec = MidoSpecs.MessageByStatus(status)
                   ?? throw new MidoException("OSError", $"undefined status byte 0x{status:x2}");
        // Data bytes: the running-status byte (if any), then what is still to read (nothing if that is negative).
        int toRead = Math.Max(0, spec.Length - 1 - (peek is null ? 0 : 1));
        if (toRead > 0 && _data.Length - _pos < toRead)
        {
            _pos = _data.Length;
            throw new MidoException("EOFError", "", $"unexpected end of file in track {_trackIndex}");
        }
        int count = toRead + (peek is null ? 0 : 1);
        Span<int> data = stackalloc int[count];
        int n = 0;
        if (peek is not null) data[n++] = peek.Value;
        for (int k = 0; k < toRead; k++) data[n++] = _data[_pos++];
        foreach (int b in data)
            if (b > 127) throw new MidoException("OSError", "data byte must be in range 0..127");

        // Message.from_bytes → decode_message: pitchwheel, quarter_frame and songpos decode specially; the others
        // must have exactly length-1 data bytes (a running-status byte after a one-byte message breaks that).
        MidoValue[] values;
        switch (spec.Type)
        {
            case "pitchwheel": values = [MidoValue.FromInt(status & 0x0f), MidoValue.FromInt(data[0] | ((data[1] << 7) - 8192))]; break;
            case "quarter_frame": values = [MidoValue.FromInt(data[0] >> 4), MidoValue.FromInt(data[0] & 15)]; break;
            case "songpos": values = [MidoValue.FromInt(data[0] | (data[1] << 7))]; break;
            default:
            {
                if (count != spec.Length - 1) throw MidoException.Value($"wrong number of bytes for {spec.Type} message");
                int offset = spec.IsChannel ? 1 : 0;
                values = new MidoValue[count + offset];
                if (spec.IsChannel) values[0] = MidoValue.FromInt(status & 0x0f);
                for (int k = 0; k < count; k++) values[k + offset] = MidoValue.FromInt(data[k]);
                break;
            }
        }
        return new MidoMessage(spec, values, delta);
    }

    private MidoMessage ReadSysex(long delta)
    {
        long length = ReadVariableInt();
        int[] data = ReadBytes(length);
        int from = data.Length > 0 && data[0] == 0xf0 ? 1 : 0;
        int to = data.Length - from > 0 && data[^1] == 0xf7 ? data.Length - 1 : data.Length;
        int[] body = data[from..to];
        MidoSpecs.CheckData(MidoValue.FromList(body));
        return new MidoMessage(MidoSpecs.Sysex, [MidoValue.FromList(body)], delta);
    }

    private MidoMessage ReadMeta(long delta)
    {
        int typeByte = ReadByte();
        long length = ReadVariableInt();
        int[] data = ReadBytes(length);
        var spec = MidoSpecs.MetaByByte(typeByte);
        // build_meta_message does not pass the delta on to an unknown meta: its time is 0.
        if (spec is null) return MidoMessage.UnknownMeta(typeByte, data, 0);
        return new MidoMessage(spec, DecodeMeta(spec, data), delta);
    }

    /// <summary><c>spec.decode(msg, data)</c>. Each attribute is assigned through mido's checking <c>__setattr__</c>,
    /// in this order, so a bad value (60 minutes, denominator 2**29) fails here, before any later missing byte.</summary>
    private static MidoValue[] DecodeMeta(MetaSpec spec, int[] d)
    {
        var values = new MidoValue[spec.Attributes.Length];
        int next = 0;
        void Set(MidoValue v)
        {
            MidoSpecs.CheckMetaValue(spec, spec.Attributes[next], v);
            values[next++] = v;
        }
        int At(int index) => index < d.Length
            ? d[index]
            : throw new MidoException("IndexError", "list index out of range", $"{spec.Type} meta event has only {d.Length} data bytes");
        MidoValue I(long v) => MidoValue.FromInt(v);

        switch (spec.Type)
        {
            case "sequence_number": Set(I(d.Length == 0 ? 0 : (At(0) << 8) | At(1))); break;
            case "channel_prefix": Set(I(At(0))); break;
            case "midi_port": Set(I(d.Length == 0 ? 0 : At(0))); break;
            case "end_of_track": break;
            case "set_tempo": Set(I((At(0) << 16) | (At(1) << 8) | At(2))); break;
            case "smpte_offset":
            {
                int code = At(0) >> 5;
                Set(MidoSpecs.DecodeFrameRate(code)
                    ?? throw new MidoException("KeyError", code.ToString(), $"smpte_offset frame rate code {code} is not one of 0..3"));
                Set(I(At(0) & 0x1f));
                for (int k = 1; k <= 4; k++) Set(I(At(k)));
                break;
            }
            case "time_signature":
                Set(I(At(0)));
                Set(MidoValue.FromBig(BigInteger.One << At(1))); // 2 ** d1: a Python int of up to 256 bits
                Set(I(At(2)));
                Set(I(At(3)));
                break;
            case "key_signature":
            {
                int sharps = (sbyte)At(0), mode = At(1);
                Set(MidoValue.FromStr(MidoSpecs.DecodeKey(sharps, mode)
                    ?? throw new MidoException("KeySignatureError", sharps < 7
                        ? $"Could not decode key with {Math.Abs(sharps)} flats and mode {mode}"
                        : $"Could not decode key with {sharps} sharps and mode {mode}")));
                break;
            }
            case "sequencer_specific": Set(MidoValue.FromTuple(d)); break;
            default: // the eight text-like metas: latin-1
            {
                var chars = new char[d.Length];
                for (int k = 0; k < d.Length; k++) chars[k] = (char)d[k];
                Set(MidoValue.FromStr(new string(chars)));
                break;
            }
        }
        return values;
    }
}
