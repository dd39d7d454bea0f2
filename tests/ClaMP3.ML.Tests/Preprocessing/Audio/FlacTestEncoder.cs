namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>A tiny FLAC writer for decoder tests: hand-chosen subframe types (constant, verbatim, fixed, LPC with a
/// given quantised predictor, Rice or escaped partitions, wasted bits) and channel decorrelation modes. It encodes
/// exactly what it is told, so every decoder path can be exercised with known samples.</summary>
internal sealed class FlacTestEncoder
{
    public abstract record Subframe(int WastedBits = 0);
    public sealed record Constant(int WastedBits = 0) : Subframe(WastedBits);
    public sealed record Verbatim(int WastedBits = 0) : Subframe(WastedBits);
    public sealed record Fixed(int Order, int RiceParameter, int PartitionOrder = 0, bool Escape = false, int WastedBits = 0) : Subframe(WastedBits);
    public sealed record Lpc(int[] Coefficients, int Precision, int Shift, int RiceParameter, int PartitionOrder = 0, bool Rice2 = false) : Subframe(0);

    private readonly BitWriter _out = new();
    private readonly int _sampleRate, _channels, _bits;
    private int _frameNumber;
    private long _totalSamples;

    public FlacTestEncoder(int sampleRate, int channels, int bits, long totalSamples, int blockSize)
    {
        _sampleRate = sampleRate; _channels = channels; _bits = bits; _totalSamples = totalSamples;
        foreach (char ch in "fLaC") _out.Write((uint)ch, 8);
        // STREAMINFO, then a PADDING block flagged last, to exercise metadata skipping.
        _out.Write(0, 1); _out.Write(0, 7); _out.Write(34, 24);
        _out.Write((uint)blockSize, 16); _out.Write((uint)blockSize, 16); _out.Write(0, 24); _out.Write(0, 24);
        _out.Write((uint)sampleRate, 20); _out.Write((uint)(channels - 1), 3); _out.Write((uint)(bits - 1), 5);
        _out.Write((uint)(totalSamples >> 32), 4); _out.Write((uint)totalSamples, 32);
        for (int i = 0; i < 16; i++) _out.Write(0, 8);
        _out.Write(1, 1); _out.Write(1, 7); _out.Write(3, 24); _out.Write(0, 24); // last block: PADDING of 3 bytes
    }

    /// <summary>Appends a frame. <paramref name="assignment"/>: 0..7 independent, 8 left/side, 9 right/side, 10 mid/side.</summary>
    public void AddFrame(int[][] samples, int assignment, params Subframe[] subframes)
    {
        int n = samples[0].Length;
        int start = _out.ByteCount;
        _out.Write(0x3FFE, 14); _out.Write(0, 1); _out.Write(0, 1);
        _out.Write(7, 4); // block size: 16-bit (n − 1) follows
        _out.Write(0, 4); // sample rate from STREAMINFO
        _out.Write((uint)assignment, 4);
        _out.Write(_bits switch { 8 => 1u, 12 => 2u, 16 => 4u, 20 => 5u, 24 => 6u, _ => 0u }, 3);
        _out.Write(0, 1);
        _out.Write((uint)_frameNumber++, 8); // < 128: one UTF-8 byte
        _out.Write((uint)(n - 1), 16);
        _out.Write(Crc8(_out.Bytes(start, _out.ByteCount - start)), 8);

        int[][] coded = assignment switch
        {
            8 => new[] { samples[0], Sub(samples[0], samples[1]) },
            9 => new[] { Sub(samples[0], samples[1]), samples[1] },
            10 => new[] { samples[0].Zip(samples[1], (l, r) => (l + r) >> 1).ToArray(), Sub(samples[0], samples[1]) },
            _ => samples,
        };
        for (int c = 0; c < coded.Length; c++)
        {
            bool side = assignment == 8 && c == 1 || assignment == 9 && c == 0 || assignment == 10 && c == 1;
            WriteSubframe(coded[c], _bits + (side ? 1 : 0), subframes[c]);
        }
        _out.AlignToByte();
        _out.Write(Crc16(_out.Bytes(start, _out.ByteCount - start)), 16);
    }

    public byte[] ToArray() => _out.Bytes(0, _out.ByteCount).ToArray();

    private static int[] Sub(int[] a, int[] b) => a.Zip(b, (x, y) => x - y).ToArray();

    private void WriteSubframe(int[] x, int bits, Subframe s)
    {
        int w = s.WastedBits;
        if (w > 0) { x = x.Select(v => v >> w).ToArray(); bits -= w; }
        _out.Write(0, 1);
        switch (s)
        {
            case Constant:
                _out.Write(0, 6); WriteWasted(w); _out.WriteSigned(x[0], bits); break;
            case Verbatim:
                _out.Write(1, 6); WriteWasted(w);
                foreach (var v in x) _out.WriteSigned(v, bits);
                break;
            case Fixed f:
            {
                _out.Write((uint)(8 + f.Order), 6); WriteWasted(w);
                for (int i = 0; i < f.Order; i++) _out.WriteSigned(x[i], bits);
                var residual = new int[x.Length];
                for (int i = f.Order; i < x.Length; i++)
                {
                    long p = f.Order switch
                    {
                        0 => 0, 1 => x[i - 1], 2 => 2L * x[i - 1] - x[i - 2],
                        3 => 3L * x[i - 1] - 3L * x[i - 2] + x[i - 3],
                        _ => 4L * x[i - 1] - 6L * x[i - 2] + 4L * x[i - 3] - x[i - 4],
                    };
                    residual[i] = (int)(x[i] - p);
                }
                WriteResidual(residual, f.Order, f.RiceParameter, f.PartitionOrder, f.Escape, rice2: false);
                break;
            }
            case Lpc l:
            {
                int order = l.Coefficients.Length;
                _out.Write((uint)(32 + order - 1), 6); WriteWasted(0);
                for (int i = 0; i < order; i++) _out.WriteSigned(x[i], bits);
                _out.Write((uint)(l.Precision - 1), 4);
                _out.WriteSigned(l.Shift, 5);
                foreach (var c in l.Coefficients) _out.WriteSigned(c, l.Precision);
                var residual = new int[x.Length];
                for (int i = order; i < x.Length; i++)
                {
                    long sum = 0;
                    for (int j = 0; j < order; j++) sum += (long)l.Coefficients[j] * x[i - 1 - j];
                    residual[i] = (int)(x[i] - (sum >> l.Shift));
                }
                WriteResidual(residual, order, l.RiceParameter, l.PartitionOrder, escape: false, l.Rice2);
                break;
            }
        }
    }

    private void WriteWasted(int w)
    {
        if (w == 0) { _out.Write(0, 1); return; }
        _out.Write(1, 1);
        for (int i = 0; i < w - 1; i++) _out.Write(0, 1);
        _out.Write(1, 1);
    }

    private void WriteResidual(int[] residual, int order, int k, int partitionOrder, bool escape, bool rice2)
    {
        _out.Write(rice2 ? 1u : 0u, 2);
        _out.Write((uint)partitionOrder, 4);
        int per = residual.Length >> partitionOrder;
        int paramBits = rice2 ? 5 : 4;
        for (int p = 0; p < 1 << partitionOrder; p++)
        {
            int from = p == 0 ? order : p * per, to = (p + 1) * per;
            if (escape)
            {
                _out.Write(rice2 ? 31u : 15u, paramBits);
                int raw = 1 + Enumerable.Range(from, to - from).Select(i => 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(residual[i] < 0 ? ~residual[i] : residual[i]))).DefaultIfEmpty(0).Max();
                _out.Write((uint)raw, 5);
                for (int i = from; i < to; i++) _out.WriteSigned(residual[i], raw);
                continue;
            }
            _out.Write((uint)k, paramBits);
            for (int i = from; i < to; i++)
            {
                uint u = residual[i] >= 0 ? (uint)residual[i] << 1 : ((uint)(-residual[i]) << 1) - 1;
                uint q = u >> k;
                for (uint z = 0; z < q; z++) _out.Write(0, 1);
                _out.Write(1, 1);
                if (k > 0) _out.Write(u & ((1u << k) - 1), k);
            }
        }
    }

    public static uint Crc8(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (byte b in data)
            for (int i = 7; i >= 0; i--)
            {
                int bit = ((crc >> 7) ^ (b >> i)) & 1;
                crc = ((crc << 1) & 0xFF) ^ (bit != 0 ? 0x07 : 0);
            }
        return (uint)crc;
    }

    public static uint Crc16(ReadOnlySpan<byte> data)
    {
        int crc = 0;
        foreach (byte b in data)
            for (int i = 7; i >= 0; i--)
            {
                int bit = ((crc >> 15) ^ (b >> i)) & 1;
                crc = ((crc << 1) & 0xFFFF) ^ (bit != 0 ? 0x8005 : 0);
            }
        return (uint)crc;
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = new();
        private int _acc, _count;
        public int ByteCount => _bytes.Count;
        public ReadOnlySpan<byte> Bytes(int start, int length) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes).Slice(start, length);
        public void Write(uint value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--)
            {
                _acc = (_acc << 1) | (int)((value >> i) & 1);
                if (++_count == 8) { _bytes.Add((byte)_acc); _acc = 0; _count = 0; }
            }
        }
        public void WriteSigned(long value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--) Write((uint)((value >> i) & 1), 1);
        }
        public void AlignToByte() { while (_count != 0) Write(0, 1); }
    }
}
