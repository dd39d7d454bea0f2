using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Midi;

namespace ClaMP3.ML.Tests.Preprocessing;

/// <summary>The mido 1.3.0 rules of PREPROCESS.md §1–2 on small hand-made files, one rule per test. The expected
/// texts were worked out from mido's source and checked against mido 1.3.0 itself.</summary>
[TestClass]
public class MidoQuirkTests
{
    /// <summary>A format-<paramref name="format"/> file with the given track bodies (division 96).</summary>
    private static byte[] Smf(int format, params byte[][] tracks)
    {
        var bytes = new List<byte>();
        bytes.AddRange("MThd"u8.ToArray());
        bytes.AddRange([0, 0, 0, 6, 0, (byte)format, 0, (byte)tracks.Length, 0, 96]);
        foreach (var t in tracks)
        {
            bytes.AddRange("MTrk"u8.ToArray());
            bytes.AddRange([(byte)(t.Length >> 24), (byte)(t.Length >> 16), (byte)(t.Length >> 8), (byte)t.Length]);
            bytes.AddRange(t);
        }
        return bytes.ToArray();
    }

    private static readonly byte[] EndOfTrack = [0x00, 0xff, 0x2f, 0x00];

    [TestMethod]
    public void RunningStatusSurvivesMetaEventsAndVelocityZeroStaysNoteOn()
    {
        byte[] track = [0x00, 0x90, 60, 100, 0x10, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, 0x08, 60, 0x00, .. EndOfTrack];
        Assert.AreEqual("ticks_per_beat 96\nnote_on 0 0 60 100\nset_tempo 500000 16\nnote_on 8 0 60 0\nend_of_track 0",
            MidiToMtf.Convert(Smf(0, track), m3Compatible: true));
    }

    [TestMethod]
    public void SysexTakesOverRunningStatusSoADataByteAfterItIsRejected()
    {
        byte[] track = [0x00, 0x90, 60, 100, 0x00, 0xf0, 0x03, 0x43, 0x10, 0xf7, 0x00, 61, 100, .. EndOfTrack];
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(Smf(0, track), true));
        // 61 is read as a sysex length, then the 61 bytes that follow are not there.
        StringAssert.StartsWith(e.Message, "EOFError");
        byte[] valid = [0x00, 0xf0, 0x03, 0x43, 0x10, 0xf7, 0x00, 0xf7, 0x02, 0x01, 0x02, .. EndOfTrack];
        Assert.AreEqual("ticks_per_beat 96\nsysex 0 [67, 16]\nsysex 0 [1, 2]\nend_of_track 0", MidiToMtf.Convert(Smf(0, valid), true));
    }

    [TestMethod]
    public void UnknownMetaLosesItsDeltaAndMetasPrintTheirTimeLast()
    {
        byte[] track = [0x60, 0xff, 0x08, 0x02, 0x50, 0x69, 0x10, 0x90, 60, 1, 0x00, 0xff, 0x7f, 0x01, 0x05, .. EndOfTrack];
        Assert.AreEqual("ticks_per_beat 96\nunknown_meta 8 (80, 105) 0\nnote_on 16 0 60 1\nsequencer_specific (5,) 0\nend_of_track 0",
            MidiToMtf.Convert(Smf(1, track), true));
    }

    [TestMethod]
    public void M3CompatibleDropsTextMetasAndTheirDeltaTimes()
    {
        byte[] track = [0x00, 0xff, 0x03, 0x03, (byte)'W', 0xc3, 0xa4, 0x30, 0xff, 0x01, 0x02, (byte)'\\', (byte)'\t', 0x10, 0x90, 60, 1, .. EndOfTrack];
        var midi = Smf(1, track);
        Assert.AreEqual("ticks_per_beat 96\nnote_on 16 0 60 1\nend_of_track 0", MidiToMtf.Convert(midi, true));
        Assert.AreEqual("ticks_per_beat 96\ntrack_name W\\xc3\\xa4 0\ntext \\\\\\t 48\nnote_on 16 0 60 1\nend_of_track 0", MidiToMtf.Convert(midi, false));
    }

    [TestMethod]
    public void TracksAreMergedByAbsoluteTickWithTiesInTrackOrder()
    {
        byte[] t0 = [0x10, 0x90, 60, 1, 0x10, 0x80, 60, 0, 0x05, 0xff, 0x2f, 0x00];
        byte[] t1 = [0x10, 0x91, 62, 2, 0x08, 0x81, 62, 0, 0x00, 0xff, 0x2f, 0x00];
        Assert.AreEqual("ticks_per_beat 96\nnote_on 16 0 60 1\nnote_on 0 1 62 2\nnote_off 8 1 62 0\nnote_off 8 0 60 0\nend_of_track 5",
            MidiToMtf.Convert(Smf(1, t0, t1), true));
    }

    [TestMethod]
    public void MetaValuesDecodeAsMidoDoes()
    {
        byte[] track =
        [
            0x00, 0xff, 0x54, 0x05, 0x41, 2, 3, 4, 5,             // smpte_offset: frame_rate code 2 → 29.97, hours 1
            0x00, 0xff, 0x59, 0x02, 0xfd, 0x01,                   // key_signature: 3 flats minor → Cm
            0x00, 0xff, 0x58, 0x04, 6, 3, 24, 8,                  // 6/8
            0x00, 0xff, 0x00, 0x00,                               // sequence_number without data → 0
            0x00, 0xe0, 0x00, 0x40, 0x00, 0xe0, 0x7f, 0x7f,       // pitchwheel centre and maximum
            .. EndOfTrack,
        ];
        Assert.AreEqual("ticks_per_beat 96\nsmpte_offset 29.97 1 2 3 4 5 0\nkey_signature Cm 0\ntime_signature 6 8 24 8 0\n" +
                        "sequence_number 0 0\npitchwheel 0 0 0\npitchwheel 0 0 8191\nend_of_track 0",
            MidiToMtf.Convert(Smf(0, track), true));
    }

    [TestMethod]
    [DataRow(new byte[] { 0x00, 0xff, 0x54, 0x05, 0x60, 60, 0, 0, 0 }, "attribute must be in range 0..59", DisplayName = "smpte_offset with 60 minutes")]
    [DataRow(new byte[] { 0x00, 0xff, 0x58, 0x04, 4, 29, 24, 8 }, "denominator must be a power of 2", DisplayName = "time signature 4/2**29 (math.log is inexact)")]
    [DataRow(new byte[] { 0x00, 0xff, 0x59, 0x02, 0x04, 0x02 }, "Could not decode key with 4 flats and mode 2", DisplayName = "key signature mode 2")]
    [DataRow(new byte[] { 0x00, 0xff, 0x51, 0x02, 0x07, 0xa1 }, "list index out of range", DisplayName = "set_tempo with two bytes")]
    [DataRow(new byte[] { 0x00, 0x90, 60, 200 }, "data byte must be in range 0..127", DisplayName = "data byte above 127")]
    [DataRow(new byte[] { 0x00, 60, 100 }, "running status without last_status", DisplayName = "running status first")]
    [DataRow(new byte[] { 0x00, 0xf4 }, "undefined status byte 0xf4", DisplayName = "undefined status byte")]
    [DataRow(new byte[] { 0x00, 0xf8, 0x00, 0x10 }, "wrong number of bytes for clock message", DisplayName = "running status after a one-byte message")]
    public void BadEventsAreRejectedWithMidosReason(byte[] events, string reason)
    {
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(Smf(1, [.. events, .. EndOfTrack]), true));
        StringAssert.StartsWith(e.Message, reason);
    }

    [TestMethod]
    public void MalformedFilesAreRejectedWithAClearReason()
    {
        var good = Smf(1, [0x00, 0x90, 60, 100, .. EndOfTrack]);
        Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(good[..20], true)); // truncated inside the track
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert("RIFF0000"u8.ToArray(), true));
        StringAssert.StartsWith(e.Message, "MThd not found");
        var pastEnd = (byte[])good.Clone();
        pastEnd[21] = 0x40; // the MTrk length claims 64 bytes: mido keeps reading and hits the end of the file
        e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(pastEnd, true));
        StringAssert.StartsWith(e.Message, "EOFError");
        StringAssert.Contains(e.Message, "end of file");
        var tooFewTracks = (byte[])good.Clone();
        tooFewTracks[11] = 2;
        Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(tooFewTracks, true));
        e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(Smf(2, [.. EndOfTrack]), true));
        StringAssert.StartsWith(e.Message, "'MidiFile' object has no attribute 'merged_track'");
        var junkChunk = Smf(1, [.. EndOfTrack]);
        "MTrx"u8.CopyTo(junkChunk.AsSpan(14));
        e = Assert.ThrowsExactly<ConversionRejectedException>(() => MidiToMtf.Convert(junkChunk, true));
        StringAssert.StartsWith(e.Message, "no MTrk header at start of track");
    }

    /// <summary>Exponents k where CPython's <c>math.log(2**k, 2)</c> is not exactly k (computed with CPython 3.11 on
    /// glibc); mido refuses those denominators. Our check uses the same C library log, so it must agree on all 256.</summary>
    [TestMethod]
    public void PowerOfTwoCheckAgreesWithCPythonMathLog()
    {
        int[] inexact = [29, 31, 39, 47, 51, 55, 58, 59, 62, 78, 93, 94, 95, 101, 102, 109, 110, 116, 117, 118, 124, 125, 141, 156,
            171, 179, 186, 187, 188, 189, 190, 201, 202, 203, 204, 205, 217, 218, 219, 220, 221, 232, 233, 234, 235, 236, 247, 248, 249, 250, 251];
        var ours = Enumerable.Range(0, 256)
            .Where(k => !MidoSpecs.IsMidoPowerOfTwo(MidoValue.FromBig(System.Numerics.BigInteger.One << k), out int e) || e != k).ToArray();
        CollectionAssert.AreEqual(inexact, ours);
    }

    [TestMethod]
    public void Mtf2MidiWritesRunningStatusAndOneEndOfTrack()
    {
        string mtf = "ticks_per_beat 96\nnote_on 0 0 60 100\nnote_on 8 0 60 0\nend_of_track 4\nset_tempo 500000 2\nnote_on 0 0 62 1\nsysex 0 [1, 2]\nend_of_track 3";
        byte[] expected =
        [
            .. "MThd"u8, 0, 0, 0, 6, 0, 1, 0, 1, 0, 96, .. "MTrk"u8, 0, 0, 0, 28,
            0x00, 0x90, 60, 100, 0x08, 60, 0,              // running status written
            0x06, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20,      // the removed end_of_track's 4 ticks are carried over
            0x00, 0x90, 62, 1,                             // a meta resets running status
            0x00, 0xf0, 0x03, 1, 2, 0xf7,
            0x03, 0xff, 0x2f, 0x00,
        ];
        CollectionAssert.AreEqual(expected, MtfToMidi.Convert(mtf));
    }

    [TestMethod]
    [DataRow("ticks_per_beat 96\nsysex 0 []", "invalid literal for int() with base 10: ''")]
    [DataRow("ticks_per_beat 96\nsequencer_specific (5,) 0", "invalid literal for int() with base 10: '5,'")]
    [DataRow("ticks_per_beat 96\nclock 0", "realtime messages are not allowed in MIDI files")]
    [DataRow("ticks_per_beat 96\nnote_on 0.5 0 60 64", "message time must be int in MIDI file")]
    [DataRow("ticks_per_beat 96\nbogus 0", "'bogus'")]
    [DataRow("ticks_per_beat 96\nnote_on 0 0 60", "list index out of range")]
    [DataRow("ticks_per_beat 96\ntext \\u0100 0", "'latin-1' codec can't encode character")]
    [DataRow("ticks_per_beat 40000\nnote_on 0 0 60 64", "'h' format requires -32768 <= number <= 32767")]
    [DataRow("", "list index out of range")]
    public void Mtf2MidiRejectsWhatTheOfficialScriptFailsOn(string mtf, string reason)
    {
        var e = Assert.ThrowsExactly<ConversionRejectedException>(() => MtfToMidi.Convert(mtf));
        StringAssert.StartsWith(e.Message, reason);
    }

    [TestMethod]
    public void Mtf2MidiParsesLikeStrToMsg()
    {
        // Extra values are ignored, whole floats become ints, unknown_meta lines vanish with their delta,
        // text is unicode_escape-decoded then written as latin-1.
        string mtf = "ticks_per_beat 96\nnote_on 1e1 0 60 64 99\nunknown_meta 8 (1, 2) 5\ntext \\xc3\\xa4\\\\ 0\nsmpte_offset 29.97 1 2 3 4 5 0";
        string back = MidiToMtf.Convert(MtfToMidi.Convert(mtf), false);
        Assert.AreEqual("ticks_per_beat 96\nnote_on 10 0 60 64\ntext \\xc3\\xa4\\\\ 0\nsmpte_offset 29.97 1 2 3 4 5 0\nend_of_track 0", back);
    }
}
