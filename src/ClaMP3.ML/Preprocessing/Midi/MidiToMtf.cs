using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>MIDI → MTF ("MIDI Text Format") exactly as <c>preprocessing/midi/batch_midi2mtf.py</c> (mido 1.3.0) writes it:
/// <c>ticks_per_beat N</c>, then one line per message of mido's merged track (<c>" ".join(str(v) for v in
/// msg.dict().values())</c>, stripped, <c>unicode_escape</c>d), joined by <c>\n</c> with no trailing newline.</summary>
public static class MidiToMtf
{
    /// <summary>Converts the bytes of a Standard MIDI File.</summary>
    /// <param name="midi">The file's bytes.</param>
    /// <param name="m3Compatible"><c>--m3_compatible</c>: drop the text-like metas (text, copyright, track_name,
    /// instrument_name, lyrics, marker, cue_marker, device_name) <b>and their delta times</b>, as the official script does.</param>
    /// <exception cref="ConversionRejectedException">The official script rejects the file (its reason, e.g.
    /// <c>data byte must be in range 0..127</c>, plus where it happened).</exception>
    public static string Convert(byte[] midi, bool m3Compatible)
    {
        ArgumentNullException.ThrowIfNull(midi);
        List<MidoMessage> merged;
        int ticksPerBeat;
        try
        {
            var file = MidoFileReader.Read(midi);
            // mido only builds merged_track for formats other than 2; the script then fails on the missing attribute.
            if (file.Format == 2)
                throw new MidoException("AttributeError", "'MidiFile' object has no attribute 'merged_track'",
                    "format 2 (asynchronous tracks) is not merged by mido");
            merged = MidoTrackMerger.Merge(file.Tracks);
            ticksPerBeat = file.TicksPerBeat;
        }
        catch (MidoException e)
        {
            throw new ConversionRejectedException(e.Message, e);
        }
        catch (OverflowException e)
        {
            throw new ConversionRejectedException("absolute tick count does not fit in 63 bits (not supported by this port)", e);
        }
        return Write(ticksPerBeat, merged, m3Compatible);
    }

    /// <summary>Reads the whole stream, then converts as <see cref="Convert(byte[], bool)"/>.</summary>
    public static string Convert(Stream midi, bool m3Compatible)
    {
        ArgumentNullException.ThrowIfNull(midi);
        using var buffer = new MemoryStream();
        midi.CopyTo(buffer);
        return Convert(buffer.ToArray(), m3Compatible);
    }

    internal static string Write(int ticksPerBeat, List<MidoMessage> merged, bool m3Compatible)
    {
        var sb = new StringBuilder(merged.Count * 20);
        sb.Append("ticks_per_beat ").Append(ticksPerBeat);
        var line = new StringBuilder(64);
        foreach (var msg in merged)
        {
            if (m3Compatible && msg.Meta is { IsTextLike: true }) continue;
            line.Clear();
            msg.AppendDictValues(line);
            string text = PythonText.Strip(line.ToString());
            sb.Append('\n');
            if (PythonText.NeedsUnicodeEscape(text)) PythonText.AppendUnicodeEscaped(sb, text);
            else sb.Append(text);
        }
        return sb.ToString();
    }
}
