using NLayer;

namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>MP3 (MPEG-1/2/2.5 Layer I–III) through NLayer, trimmed like FFmpeg's gapless playback, which is what
/// torchaudio 0.13 used for MP3 in the reference environment (its libsox had no MP3 reader).</summary>
/// <remarks>With a LAME/Lavf/Lavc "Info"/"Xing" tag FFmpeg drops encoder delay + 529 samples (decoder delay) at the start
/// and padding − 529 at the end, giving frames·samplesPerFrame − delay − padding samples, the length of the encoded signal.
/// Without such a tag nothing is trimmed.</remarks>
internal sealed class Mp3Reader : IAudioSampleReader
{
    private const int DecoderDelay = 529;

    private readonly Stream _stream;
    private readonly string _name;
    private readonly MpegFile _mpeg;
    private long _toSkip;
    private long _remaining; // frames still to deliver, long.MaxValue when unknown
    private float[] _interleaved = Array.Empty<float>();

    public int SampleRate { get; }
    public int ChannelCount { get; }
    public long? FrameCountHint { get; }

    public Mp3Reader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        long start = stream.Position;
        long frameStart = FindFirstFrame(stream, start, 1 << 16);
        if (frameStart < 0) throw new AudioDecodingException(name, "no MPEG audio frame found (not an MP3 file).");
        var header = ReadHeader(stream, frameStart) ?? throw new AudioDecodingException(name, "invalid MPEG audio frame header.");
        var gapless = ReadGaplessInfo(stream, frameStart, header);
        stream.Position = start;
        try
        {
            _mpeg = new MpegFile(stream);
        }
        catch (Exception e)
        {
            throw new AudioDecodingException(name, "cannot decode the MP3 stream: " + e.Message, e);
        }
        DisableNLayerTrim(_mpeg);
        SampleRate = _mpeg.SampleRate;
        ChannelCount = _mpeg.Channels;
        if (SampleRate <= 0 || ChannelCount <= 0) throw new AudioDecodingException(name, "the MP3 stream has no valid sample rate or channel count.");
        _remaining = long.MaxValue;
        if (gapless is { } g)
        {
            _toSkip = g.Delay + DecoderDelay;
            if (g.Frames > 0)
            {
                _remaining = Math.Max(0, (long)g.Frames * header.SamplesPerFrame - g.Delay - g.Padding);
                FrameCountHint = _remaining;
            }
        }
    }

    private static readonly System.Reflection.FieldInfo? NLayerDelayField =
        typeof(MpegFile).GetField("_encoderDelay", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
    private static readonly System.Reflection.FieldInfo? NLayerPaddingField =
        typeof(MpegFile).GetField("_encoderPadding", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

    /// <summary>NLayer 3.0.1 trims files whose Info tag says "LAME…" itself, but drops only the encoder delay and the
    /// whole padding, without the 529-sample decoder delay: its output is 529 samples late and loses the last 529.
    /// (It ignores FFmpeg's "Lavf"/"Lavc" tags.) Its private delay/padding fields are zeroed so that it always returns
    /// every decoded sample and the FFmpeg trim above applies uniformly; the tests pin this with a LAME-made and an
    /// FFmpeg-made file.</summary>
    private static void DisableNLayerTrim(MpegFile mpeg)
    {
        if (NLayerDelayField?.FieldType == typeof(int)) NLayerDelayField.SetValue(mpeg, 0);
        if (NLayerPaddingField?.FieldType == typeof(int)) NLayerPaddingField.SetValue(mpeg, 0);
    }

    public int Read(float[][] channels, int offset, int maxFrames)
    {
        int c = ChannelCount;
        while (true)
        {
            if (_remaining <= 0) return 0;
            int want = (int)Math.Min(maxFrames, _remaining);
            if (_toSkip > 0) want = (int)Math.Min(Math.Max(want, 4096), _toSkip);
            int samples = want * c;
            if (_interleaved.Length < samples) _interleaved = new float[samples];
            int got = 0;
            while (got < samples)
            {
                int n = _mpeg.ReadSamples(_interleaved, got, samples - got);
                if (n <= 0) break;
                got += n;
            }
            int frames = got / c;
            if (frames == 0) return 0;
            if (_toSkip > 0)
            {
                _toSkip -= frames;
                continue;
            }
            for (int ch = 0; ch < c; ch++)
            {
                var dest = channels[ch];
                for (int i = 0; i < frames; i++) dest[offset + i] = _interleaved[i * c + ch];
            }
            if (_remaining != long.MaxValue) _remaining -= frames;
            return frames;
        }
    }

    public void Dispose()
    {
        _mpeg?.Dispose();
        _stream.Dispose();
    }

    internal readonly record struct FrameHeader(int Version, int Layer, int SampleRate, int Channels, int FrameLength, int SamplesPerFrame);

    internal readonly record struct GaplessInfo(int Frames, int Delay, int Padding);

    private static readonly int[] BitratesV1L1 = { 0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448 };
    private static readonly int[] BitratesV1L2 = { 0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384 };
    private static readonly int[] BitratesV1L3 = { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 };
    private static readonly int[] BitratesV2L1 = { 0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256 };
    private static readonly int[] BitratesV2L23 = { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160 };

    /// <summary>Parses a 4-byte MPEG audio frame header; null when invalid (free format is not supported).</summary>
    internal static FrameHeader? ParseHeader(ReadOnlySpan<byte> h)
    {
        if (h.Length < 4 || h[0] != 0xFF || (h[1] & 0xE0) != 0xE0) return null;
        int versionBits = (h[1] >> 3) & 3, layerBits = (h[1] >> 1) & 3;
        int bitrateIndex = h[2] >> 4, rateIndex = (h[2] >> 2) & 3, padding = (h[2] >> 1) & 1;
        if (versionBits == 1 || layerBits == 0 || bitrateIndex is 0 or 15 || rateIndex == 3) return null;
        int version = versionBits switch { 3 => 1, 2 => 2, _ => 25 };
        int layer = 4 - layerBits;
        int[] rates = version switch { 1 => new[] { 44100, 48000, 32000 }, 2 => new[] { 22050, 24000, 16000 }, _ => new[] { 11025, 12000, 8000 } };
        int sampleRate = rates[rateIndex];
        int bitrate = 1000 * (version == 1
            ? (layer == 1 ? BitratesV1L1 : layer == 2 ? BitratesV1L2 : BitratesV1L3)[bitrateIndex]
            : (layer == 1 ? BitratesV2L1 : BitratesV2L23)[bitrateIndex]);
        int channels = ((h[3] >> 6) & 3) == 3 ? 1 : 2;
        int samplesPerFrame = layer == 1 ? 384 : layer == 2 || version == 1 ? 1152 : 576;
        int frameLength = layer == 1
            ? (12 * bitrate / sampleRate + padding) * 4
            : samplesPerFrame / 8 * bitrate / sampleRate + padding;
        return new FrameHeader(version, layer, sampleRate, channels, frameLength, samplesPerFrame);
    }

    private static FrameHeader? ReadHeader(Stream stream, long position)
    {
        Span<byte> h = stackalloc byte[4];
        stream.Position = position;
        return stream.ReadAtLeast(h, 4, throwOnEndOfStream: false) < 4 ? null : ParseHeader(h);
    }

    /// <summary>Position of the first frame header at or after <paramref name="start"/> (ID3v2 tags skipped) whose
    /// successor, if the file goes on, is also a valid header; −1 if none within <paramref name="maxScan"/> bytes.</summary>
    internal static long FindFirstFrame(Stream stream, long start, int maxScan)
    {
        long pos = start;
        Span<byte> tag = stackalloc byte[10];
        while (true)
        {
            stream.Position = pos;
            if (stream.ReadAtLeast(tag, 10, throwOnEndOfStream: false) < 10) return -1;
            if (!tag[..3].SequenceEqual("ID3"u8)) break;
            int size = (tag[6] & 0x7F) << 21 | (tag[7] & 0x7F) << 14 | (tag[8] & 0x7F) << 7 | (tag[9] & 0x7F);
            pos += 10 + size + ((tag[5] & 0x10) != 0 ? 10 : 0);
        }
        var buffer = new byte[maxScan + 4];
        stream.Position = pos;
        int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        for (int i = 0; i + 4 <= got; i++)
        {
            if (buffer[i] != 0xFF) continue;
            var header = ParseHeader(buffer.AsSpan(i, 4));
            if (header is null) continue;
            long next = pos + i + header.Value.FrameLength;
            if (next + 4 <= stream.Length)
            {
                var following = ReadHeader(stream, next);
                if (following is null || following.Value.SampleRate != header.Value.SampleRate) continue;
            }
            return pos + i;
        }
        return -1;
    }

    /// <summary>The LAME/Lavf/Lavc Info tag of the first frame, as FFmpeg's <c>mp3_parse_info_tag</c> reads it.</summary>
    private static GaplessInfo? ReadGaplessInfo(Stream stream, long frameStart, FrameHeader header)
    {
        int sideInfo = header.Version == 1 ? (header.Channels == 1 ? 17 : 32) : (header.Channels == 1 ? 9 : 17);
        var frame = new byte[Math.Max(header.FrameLength, 4 + sideInfo + 200)];
        stream.Position = frameStart;
        int got = stream.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false);
        int p = 4 + sideInfo;
        if (got < p + 8) return null;
        var tagId = frame.AsSpan(p, 4);
        if (!tagId.SequenceEqual("Xing"u8) && !tagId.SequenceEqual("Info"u8)) return null;
        int flags = frame[p + 4] << 24 | frame[p + 5] << 16 | frame[p + 6] << 8 | frame[p + 7];
        p += 8;
        int frames = 0;
        if ((flags & 1) != 0) { frames = frame[p] << 24 | frame[p + 1] << 16 | frame[p + 2] << 8 | frame[p + 3]; p += 4; }
        if ((flags & 2) != 0) p += 4;
        if ((flags & 4) != 0) p += 100;
        if ((flags & 8) != 0) p += 4;
        // 9-byte encoder version, revision/VBR method, lowpass, peak(4), radio gain(2), audiophile gain(2), flags, bitrate, then delay/padding (12+12 bits).
        if (got < p + 24) return null;
        var version = frame.AsSpan(p, 4);
        bool lame = version.SequenceEqual("LAME"u8) || version.SequenceEqual("Lavf"u8) || version.SequenceEqual("Lavc"u8);
        if (!lame) return null;
        int v = frame[p + 21] << 16 | frame[p + 22] << 8 | frame[p + 23];
        return new GaplessInfo(frames, v >> 12, v & 0xFFF);
    }
}
