using System.Buffers.Binary;
using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>Declared channel counts and sample counts size buffers only within fixed bounds: a tiny file cannot make
/// the decoder or the resampler allocate gigabytes.</summary>
[TestClass]
public class AudioAllocationBoundsTests
{
    [TestMethod]
    public void AOneFrameWavWith65535ChannelsDecodesInBoundedMemory()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "wide.wav");
        var frame = new byte[65535];
        for (int c = 0; c < frame.Length; c++) frame[c] = (byte)(c % 2 == 0 ? 192 : 64); // 8-bit PCM: +0.5, -0.5
        File.WriteAllBytes(path, WavTestFiles.Build(WavTestFiles.Pcm, 65535, 8000, 8, frame));

        DecodedAudio? audio = null;
        Assert.IsNull(AllocationProbe.Bounded(() => audio = AudioDecoder.Decode(path), "decode"));
        Assert.AreEqual(65535, audio!.ChannelCount);
        Assert.AreEqual(1, audio.FrameCount);
        Assert.AreEqual(0.5f, audio.Channels[0][0]);
        Assert.AreEqual(-0.5f, audio.Channels[1][0]);

        float[]? mono = null;
        Assert.IsNull(AllocationProbe.Bounded(() => mono = MertAudioPreprocessor.DecodeMono24k(path), "decode to mono 24 kHz"));
        Assert.AreEqual(3, mono!.Length, "one frame at 8 kHz is three at 24 kHz");
    }

    /// <summary>42 bytes: the marker and a STREAMINFO block declaring 2^36 − 1 samples of 44.1 kHz stereo, no frames.</summary>
    private static byte[] FlacDeclaring(long totalSamples)
    {
        var file = new byte[42];
        "fLaC"u8.CopyTo(file);
        file[4] = 0x80; // last metadata block, type 0 (STREAMINFO)
        file[7] = 34;
        var s = file.AsSpan(8);
        BinaryPrimitives.WriteUInt16BigEndian(s, 4096);
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], 4096);
        const int rate = 44100, channels = 2, bits = 16;
        s[10] = (byte)(rate >> 12);
        s[11] = unchecked((byte)(rate >> 4));
        s[12] = (byte)((rate & 0xF) << 4 | (channels - 1) << 1 | (bits - 1) >> 4);
        s[13] = (byte)(((bits - 1) & 0xF) << 4 | (int)(totalSamples >> 32 & 0xF));
        BinaryPrimitives.WriteUInt32BigEndian(s[14..], (uint)totalSamples);
        return file;
    }

    [TestMethod]
    public void AFlacDeclaring2To36SamplesDoesNotReserveThem()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "liar.flac");
        File.WriteAllBytes(path, FlacDeclaring((1L << 36) - 1));
        using (var reader = AudioDecoder.OpenReader(path)) Assert.AreEqual((1L << 36) - 1, reader.FrameCountHint, "the header is what the test claims");

        float[]? mono = null;
        Assert.IsNull(AllocationProbe.Bounded(() => mono = MertAudioPreprocessor.DecodeMono24k(path), "resample"));
        Assert.AreEqual(0, mono!.Length, "no frames, no samples");
        Assert.IsNull(AllocationProbe.Bounded(() => AudioDecoder.Decode(path), "decode"));
        AllocationProbe.Refused<AudioTooShortException>(() => MertAudioPreprocessor.Windows(MertAudioPreprocessor.Prepare(path), path), "windows", path);
    }
}
