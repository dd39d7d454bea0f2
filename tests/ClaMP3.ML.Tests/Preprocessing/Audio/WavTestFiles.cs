using System.Buffers.Binary;

namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>Builds small RIFF/WAVE files byte by byte for decoder tests.</summary>
internal static class WavTestFiles
{
    public const ushort Pcm = 1, IeeeFloat = 3;

    /// <summary>A WAV file; <paramref name="extensible"/> writes WAVE_FORMAT_EXTENSIBLE with <paramref name="formatTag"/> as the subformat.</summary>
    public static byte[] Build(ushort formatTag, int channels, int sampleRate, int bits, byte[] data, bool extensible = false, bool withListChunk = false)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8); w.Write(0); w.Write("WAVE"u8);
        if (withListChunk)
        {
            // An unrelated chunk before 'fmt ' with an odd size (padded to even), as some writers emit.
            w.Write("LIST"u8); w.Write(5); w.Write("INFOx"u8); w.Write((byte)0);
        }
        w.Write("fmt "u8);
        w.Write(extensible ? 40 : 16);
        w.Write(extensible ? (ushort)0xFFFE : formatTag);
        w.Write((ushort)channels);
        w.Write(sampleRate);
        w.Write(sampleRate * channels * bits / 8);
        w.Write((ushort)(channels * bits / 8));
        w.Write((ushort)bits);
        if (extensible)
        {
            w.Write((ushort)22); w.Write((ushort)bits); w.Write((1 << channels) - 1); // cbSize, valid bits, channel mask
            w.Write(formatTag); w.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }
        w.Write("data"u8); w.Write(data.Length); w.Write(data);
        if ((data.Length & 1) != 0) w.Write((byte)0);
        w.Flush();
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }

    public static byte[] Int16(params short[] v) { var b = new byte[v.Length * 2]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * i), v[i]); return b; }
    public static byte[] Int32(params int[] v) { var b = new byte[v.Length * 4]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    public static byte[] Float32(params float[] v) { var b = new byte[v.Length * 4]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    public static byte[] Float64(params double[] v) { var b = new byte[v.Length * 8]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]); return b; }

    public static byte[] Int24(params int[] v)
    {
        var b = new byte[v.Length * 3];
        for (int i = 0; i < v.Length; i++) { b[3 * i] = (byte)v[i]; b[3 * i + 1] = (byte)(v[i] >> 8); b[3 * i + 2] = (byte)(v[i] >> 16); }
        return b;
    }

    /// <summary>A 16-bit stereo WAV of a two-tone signal with noise, <paramref name="frames"/> long.</summary>
    public static byte[] Music16(int sampleRate, int channels, int frames, int seed = 1)
    {
        var rng = new Random(seed);
        var v = new short[frames * channels];
        for (int i = 0; i < frames; i++)
            for (int c = 0; c < channels; c++)
            {
                double t = (double)i / sampleRate;
                double x = 0.4 * Math.Sin(2 * Math.PI * (220 + 110 * c) * t) + 0.2 * Math.Sin(2 * Math.PI * 1375.5 * t + c) + 0.05 * (rng.NextDouble() - 0.5);
                v[i * channels + c] = (short)Math.Round(x * 32767);
            }
        return Build(Pcm, channels, sampleRate, 16, Int16(v));
    }
}
