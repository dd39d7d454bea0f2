namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>MTF → MIDI exactly as <c>preprocessing/midi/batch_mtf2midi.py</c> writes it: a format-1 file with one
/// track holding every message, saved by mido 1.3.0's <c>MidiFile.save</c> (running status written, all
/// end_of_track events replaced by one at the end, sysex framed as <c>F0 len data F7</c>).</summary>
public static class MtfToMidi
{
    /// <summary>Converts MTF text to the bytes of a Standard MIDI File.</summary>
    /// <exception cref="ConversionRejectedException">The official script fails on this text (its reason and the line).</exception>
    public static byte[] Convert(string mtf)
    {
        ArgumentNullException.ThrowIfNull(mtf);
        try
        {
            var (ticksPerBeat, track) = MtfParser.Parse(mtf);
            return MidoFileWriter.Write(ticksPerBeat, track);
        }
        catch (MidoException e)
        {
            throw new ConversionRejectedException(e.Message, e);
        }
        catch (OverflowException e)
        {
            throw new ConversionRejectedException("a time does not fit in 63 bits (not supported by this port)", e);
        }
    }
}

/// <summary>mido 1.3.0's <c>MidiFile._save</c> for a type-1 file with one track.</summary>
internal static class MidoFileWriter
{
    public static byte[] Write(long ticksPerBeat, IReadOnlyList<MidoMessage> track)
    {
        // _save packs the header first: struct.pack('>hhh', type, ntracks, ticks_per_beat).
        if (ticksPerBeat is < short.MinValue or > short.MaxValue)
            throw new MidoException("struct.error", "'h' format requires -32768 <= number <= 32767", $"ticks_per_beat {ticksPerBeat}");
        var data = new List<byte>(track.Count * 4 + 16);
        int? runningStatus = null;
        var encoded = new List<byte>(8);
        int index = 0;
        foreach (var (msg, timeIsFloat) in FixEndOfTrack(track))
        {
            index++;
            try
            {
                if (timeIsFloat) throw MidoException.Value("message time must be int in MIDI file");
                if (msg.Time < 0) throw MidoException.Value("message time must be non-negative in MIDI file");
                if (msg.Spec is { IsRealtimeForSave: true }) throw MidoException.Value("realtime messages are not allowed in MIDI files");

                WriteVariableInt(data, msg.Time);
                if (msg.IsMeta)
                {
                    byte[] body = MidoSpecs.EncodeMeta(msg.Meta!, msg.Values);
                    data.Add(0xff);
                    data.Add((byte)msg.Meta!.TypeByte);
                    WriteVariableInt(data, body.Length);
                    data.AddRange(body);
                    runningStatus = null;
                }
                else if (msg.Spec == MidoSpecs.Sysex)
                {
                    int[] items = msg.Values[0].Items!;
                    data.Add(0xf0);
                    WriteVariableInt(data, items.Length + 1);
                    foreach (int b in items) data.Add((byte)b);
                    data.Add(0xf7);
                    runningStatus = null;
                }
                else
                {
                    encoded.Clear();
                    MidoSpecs.EncodeMessage(msg, encoded);
                    int status = encoded[0];
                    for (int k = status == runningStatus ? 1 : 0; k < encoded.Count; k++) data.Add(encoded[k]);
                    runningStatus = status < 0xf0 ? status : null;
                }
            }
            catch (MidoException e) when (e.Detail is null)
            {
                throw e.WithDetail($"while saving message {index} ({msg.Type})");
            }
        }

        var file = new byte[14 + 8 + data.Count];
        "MThd"u8.CopyTo(file);
        WriteBigEndian(file, 4, 6, 4);
        WriteBigEndian(file, 8, 1, 2);            // type 1
        WriteBigEndian(file, 10, 1, 2);           // one track
        WriteBigEndian(file, 12, (ushort)(short)ticksPerBeat, 2);
        "MTrk"u8.CopyTo(file.AsSpan(14));
        WriteBigEndian(file, 18, (uint)data.Count, 4);
        data.CopyTo(file, 22);
        return file;
    }

    /// <summary><c>fix_end_of_track</c>: end_of_track messages are removed, their times added to the next message;
    /// one end_of_track with the remaining time closes the track. A float time stays a float through the sums.</summary>
    private static IEnumerable<(MidoMessage Msg, bool TimeIsFloat)> FixEndOfTrack(IReadOnlyList<MidoMessage> track)
    {
        long carried = 0;
        bool carriedFloat = false;
        foreach (var msg in track)
        {
            if (msg.Meta == MidoSpecs.EndOfTrack)
            {
                carried = checked(carried + msg.Time);
                carriedFloat |= msg.TimeIsFloat;
                continue;
            }
            bool hadCarry = carried != 0 || carriedFloat;
            yield return hadCarry ? (msg.WithTime(checked(carried + msg.Time)), carriedFloat || msg.TimeIsFloat) : (msg, msg.TimeIsFloat);
            carried = 0;
            carriedFloat = false;
        }
        yield return (new MidoMessage(MidoSpecs.EndOfTrack, [], carried), carriedFloat);
    }

    private static void WriteVariableInt(List<byte> into, long value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = 0;
        do
        {
            buffer[n++] = (byte)(value & 0x7f);
            value >>= 7;
        } while (value != 0);
        for (int k = n - 1; k >= 0; k--) into.Add((byte)(buffer[k] | (k > 0 ? 0x80 : 0)));
    }

    private static void WriteBigEndian(byte[] into, int offset, uint value, int bytes)
    {
        for (int k = 0; k < bytes; k++) into[offset + k] = (byte)(value >> (8 * (bytes - 1 - k)));
    }
}
