using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>RIFF/WAVE reader with the sample conversions of torchaudio 0.13's libsox backend
/// (see the fixtures README, mert-tiny "Exact semantics" 1).</summary>
/// <remarks>libsox turns every sample into a 32-bit integer first and then into float with
/// <c>SOX_SAMPLE_TO_FLOAT_32BIT</c>: 1.0 if s &gt; 2³¹−1−64, else ((s+64) &amp; ~127)/2³¹. PCM8/16/24 are therefore
/// exact (v/128, v/32768, v/2²³), 32-bit integers lose their low 7 bits, and float samples are truncated to
/// int32 (saturating) first, which puts them on a 2⁻²⁴ grid and clips them to [−1, 1].</remarks>
internal sealed class WavReader : IAudioSampleReader
{
    private enum SampleKind { Pcm, Float }

    private readonly Stream _stream;
    private readonly string _name;
    private readonly SampleKind _kind;
    private readonly int _bits;
    private readonly int _blockAlign;
    private long _bytesLeft;
    private byte[] _buffer = Array.Empty<byte>();

    public int SampleRate { get; }
    public int ChannelCount { get; }
    public long? FrameCountHint { get; }

    public WavReader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        Span<byte> header = stackalloc byte[12];
        ReadExactly(header, "RIFF header");
        if (!header[..4].SequenceEqual("RIFF"u8) || !header[8..12].SequenceEqual("WAVE"u8))
            throw Fail("not a RIFF/WAVE file.");

        bool haveFormat = false;
        int formatTag = 0, channels = 0, sampleRate = 0, blockAlign = 0, bits = 0;
        Span<byte> chunkHeader = stackalloc byte[8];
        while (true)
        {
            int got = ReadAtMost(chunkHeader);
            if (got < 8)
                throw Fail(haveFormat ? "no 'data' chunk (the file is truncated or not a WAV file)." : "no 'fmt ' chunk (the WAV header is truncated).");
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            if (chunkHeader[..4].SequenceEqual("fmt "u8))
            {
                if (size < 16) throw Fail($"the 'fmt ' chunk is {size} bytes; at least 16 are required.");
                if (size > 1 << 16) throw Fail($"the 'fmt ' chunk claims {size} bytes.");
                var fmt = new byte[size + (size & 1)];
                ReadExactly(fmt, "'fmt ' chunk");
                formatTag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(2));
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(fmt.AsSpan(4));
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(12));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(14));
                if (formatTag == 0xFFFE)
                {
                    // WAVE_FORMAT_EXTENSIBLE: cbSize(2) validBits(2) channelMask(4) subformat GUID(16), whose first two bytes are the format tag.
                    if (size < 40) throw Fail("WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is shorter than 40 bytes.");
                    formatTag = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(24));
                }
                haveFormat = true;
            }
            else if (chunkHeader[..4].SequenceEqual("data"u8))
            {
                if (!haveFormat) throw Fail("the 'data' chunk comes before the 'fmt ' chunk.");
                long dataSize = size;
                if (_stream.CanSeek)
                    dataSize = Math.Min(dataSize, Math.Max(0, _stream.Length - _stream.Position)); // truncated files: read what is there, as libsox does
                _bytesLeft = dataSize;
                break;
            }
            else
            {
                Skip(size + (size & 1));
            }
        }

        _kind = formatTag switch
        {
            1 => SampleKind.Pcm,
            3 => SampleKind.Float,
            _ => throw Fail($"WAV format tag 0x{formatTag:X4} is not supported (only PCM and IEEE float)."),
        };
        if (channels <= 0) throw Fail("the WAV header says 0 channels.");
        if (sampleRate <= 0) throw Fail($"the WAV header says sample rate {sampleRate}.");
        bool bitsOk = _kind == SampleKind.Pcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!bitsOk) throw Fail($"{bits}-bit {(_kind == SampleKind.Pcm ? "PCM" : "float")} WAV samples are not supported.");
        int expectedAlign = channels * (bits / 8);
        if (blockAlign != expectedAlign)
            throw Fail($"the WAV block align is {blockAlign}, expected {expectedAlign} for {channels} channels of {bits} bits.");
        _bits = bits;
        _blockAlign = blockAlign;
        ChannelCount = channels;
        SampleRate = sampleRate;
        FrameCountHint = _bytesLeft / blockAlign;
    }

    public int Read(float[][] channels, int offset, int maxFrames)
    {
        long framesLeft = _bytesLeft / _blockAlign;
        int frames = (int)Math.Min(maxFrames, framesLeft);
        if (frames <= 0) return 0;
        int bytes = frames * _blockAlign;
        if (_buffer.Length < bytes) _buffer = new byte[bytes];
        int got = ReadAtMost(_buffer.AsSpan(0, bytes));
        frames = got / _blockAlign;
        _bytesLeft = got < bytes ? 0 : _bytesLeft - bytes;
        int bytesPerSample = _bits / 8;
        int channelCount = ChannelCount;
        for (int c = 0; c < channelCount; c++)
        {
            var dest = channels[c].AsSpan(offset, frames);
            ReadOnlySpan<byte> src = _buffer.AsSpan(c * bytesPerSample);
            switch (_kind, _bits)
            {
                case (SampleKind.Pcm, 8):
                    for (int i = 0; i < frames; i++) dest[i] = (src[i * _blockAlign] - 128) / 128f;
                    break;
                case (SampleKind.Pcm, 16) when BitConverter.IsLittleEndian:
                {
                    var shorts = MemoryMarshal.Cast<byte, short>(_buffer.AsSpan(0, bytes));
                    for (int i = 0, k = c; i < frames; i++, k += channelCount) dest[i] = shorts[k] / 32768f;
                    break;
                }
                case (SampleKind.Pcm, 16):
                    for (int i = 0; i < frames; i++) dest[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(i * _blockAlign)..]) / 32768f;
                    break;
                case (SampleKind.Pcm, 24):
                    for (int i = 0; i < frames; i++)
                    {
                        int p = i * _blockAlign;
                        int v = (src[p] | src[p + 1] << 8 | (sbyte)src[p + 2] << 16);
                        dest[i] = v / 8388608f;
                    }
                    break;
                case (SampleKind.Pcm, 32):
                    for (int i = 0; i < frames; i++) dest[i] = SoxSampleToFloat(BinaryPrimitives.ReadInt32LittleEndian(src[(i * _blockAlign)..]));
                    break;
                case (SampleKind.Float, 32):
                    for (int i = 0; i < frames; i++) dest[i] = SoxFloatToFloat(BinaryPrimitives.ReadSingleLittleEndian(src[(i * _blockAlign)..]));
                    break;
                case (SampleKind.Float, 64):
                    for (int i = 0; i < frames; i++) dest[i] = SoxFloatToFloat(BinaryPrimitives.ReadDoubleLittleEndian(src[(i * _blockAlign)..]));
                    break;
            }
        }
        return frames;
    }

    /// <summary>libsox's <c>SOX_SAMPLE_TO_FLOAT_32BIT</c>: rounds away the low 7 bits, saturating at +1.</summary>
    internal static float SoxSampleToFloat(int s) =>
        s > int.MaxValue - 64 ? 1f : (float)(((long)s + 64 & ~127L) * (1.0 / 2147483648.0));

    /// <summary>libsox's <c>SOX_FLOAT_64BIT_TO_SAMPLE</c> (scale by 2³¹, C cast, saturate) followed by
    /// <see cref="SoxSampleToFloat"/>.</summary>
    internal static float SoxFloatToFloat(double x)
    {
        double scaled = x * 2147483648.0;
        int s;
        if (double.IsNaN(scaled)) s = int.MinValue; // what the x86 conversion of NaN gives
        else if (scaled < int.MinValue) s = int.MinValue;
        else if (scaled >= 2147483648.0) s = int.MaxValue;
        else s = (int)scaled; // truncation toward zero, as the C cast
        return SoxSampleToFloat(s);
    }

    public void Dispose() => _stream.Dispose();

    private AudioDecodingException Fail(string problem) => new(_name, problem);

    private int ReadAtMost(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        if (ReadAtMost(buffer) < buffer.Length) throw Fail($"the file ends inside the {what} (truncated WAV header).");
    }

    private void Skip(long bytes)
    {
        if (_stream.CanSeek)
        {
            if (_stream.Position + bytes > _stream.Length) throw Fail("a chunk runs past the end of the file before the 'data' chunk (truncated WAV).");
            _stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var tmp = new byte[8192];
        while (bytes > 0)
        {
            int n = _stream.Read(tmp, 0, (int)Math.Min(tmp.Length, bytes));
            if (n == 0) throw Fail("a chunk runs past the end of the file before the 'data' chunk (truncated WAV).");
            bytes -= n;
        }
    }
}
