namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>mido 1.3.0's <c>merge_tracks</c> (what <c>MidiFile.merged_track</c> holds) and <c>fix_end_of_track</c>.</summary>
internal static class MidoTrackMerger
{
    /// <summary>Absolute ticks per track, all tracks concatenated and stable-sorted by tick, back to deltas, every
    /// end_of_track dropped (its delta carried to the next message) and one appended. (mido rebuilds each message with
    /// <c>copy(time=...)</c>, which re-runs the attribute checks; they cannot fail here, as the reader ran them while
    /// decoding.)</summary>
    public static List<MidoMessage> Merge(IReadOnlyList<List<MidoMessage>> tracks)
    {
        int total = 0;
        foreach (var t in tracks) total += t.Count;
        var absolute = new MidoMessage[total];
        var ticks = new long[total];
        int n = 0;
        for (int ti = 0; ti < tracks.Count; ti++)
        {
            long now = 0;
            foreach (var msg in tracks[ti])
            {
                now = checked(now + msg.Time);
                ticks[n] = now;
                absolute[n++] = msg;
            }
        }

        // list.sort is stable: ties keep track order, then order within the track.
        var order = new int[total];
        for (int k = 0; k < total; k++) order[k] = k;
        Array.Sort(order, (a, b) => ticks[a] != ticks[b] ? ticks[a].CompareTo(ticks[b]) : a.CompareTo(b));

        var merged = new List<MidoMessage>(total + 1);
        long previous = 0, carried = 0;
        foreach (int k in order)
        {
            long delta = ticks[k] - previous;
            previous = ticks[k];
            var msg = absolute[k];
            if (msg.Meta == MidoSpecs.EndOfTrack) { carried += delta; continue; }
            merged.Add(msg.WithTime(checked(delta + carried)));
            carried = 0;
        }
        merged.Add(new MidoMessage(MidoSpecs.EndOfTrack, [], carried));
        return merged;
    }
}
