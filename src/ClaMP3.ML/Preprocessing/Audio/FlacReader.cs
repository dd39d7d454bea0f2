using System.Buffers.Binary;
using System.Numerics;

namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>A FLAC decoder (native FLAC streams: constant, verbatim, fixed and LPC subframes, Rice/Rice2 residuals with
/// escapes, wasted bits, independent and left/right/mid-side stereo, 4–32 bits, up to 8 channels), verified by the
/// frame CRCs. Samples come out as libsox gives them to torchaudio 0.13: v/2^(bits−1) (exact up to 24 bits).</summary>
internal sealed class FlacReader : IAudioSampleReader
{
    private readonly Stream _stream;
    private readonly string _name;
    private readonly int _streamBits;
    private readonly int _maxBlockSize;
    private byte[] _buffer;
    private int _bufferStart; // index of the next unread byte
    private int _bufferEnd;   // end of valid data
    private bool _eof;
    private readonly int[][] _block;
    private int _blockLength, _blockPos, _blockBits;

    public int SampleRate { get; }
    public int ChannelCount { get; }
    public long? FrameCountHint { get; }

    public FlacReader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        _buffer = new byte[1 << 16];
        Fill(4);
        if (Available < 4 || !_buffer.AsSpan(_bufferStart, 4).SequenceEqual("fLaC"u8)) throw Fail("not a FLAC stream (no 'fLaC' marker).");
        _bufferStart += 4;
        bool haveInfo = false, last = false;
        while (!last)
        {
            Fill(4);
            if (Available < 4) throw Fail("the file ends inside the metadata (truncated FLAC header).");
            byte h = _buffer[_bufferStart];
            last = (h & 0x80) != 0;
            int type = h & 0x7F;
            int length = _buffer[_bufferStart + 1] << 16 | _buffer[_bufferStart + 2] << 8 | _buffer[_bufferStart + 3];
            _bufferStart += 4;
            if (type == 0)
            {
                if (length < 34) throw Fail("the STREAMINFO block is shorter than 34 bytes.");
                Fill(34);
                if (Available < 34) throw Fail("the file ends inside STREAMINFO (truncated FLAC header).");
                var s = _buffer.AsSpan(_bufferStart, 34);
                _maxBlockSize = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
                SampleRate = s[10] << 12 | s[11] << 4 | s[12] >> 4;
                ChannelCount = ((s[12] >> 1) & 7) + 1;
                _streamBits = ((s[12] & 1) << 4 | s[13] >> 4) + 1;
                long total = (long)(s[13] & 0xF) << 32 | BinaryPrimitives.ReadUInt32BigEndian(s[14..]);
                FrameCountHint = total > 0 ? total : null;
                haveInfo = true;
            }
            else if (type == 127) throw Fail("invalid FLAC metadata block type 127.");
            SkipBytes(length);
        }
        if (!haveInfo) throw Fail("the FLAC stream has no STREAMINFO block.");
        if (SampleRate <= 0) throw Fail("STREAMINFO says sample rate 0.");
        if (_streamBits < 4) throw Fail($"STREAMINFO says {_streamBits} bits per sample.");
        _block = new int[ChannelCount][];
        for (int c = 0; c < ChannelCount; c++) _block[c] = new int[Math.Max(16, _maxBlockSize)];
    }

    private int Available => _bufferEnd - _bufferStart;

    public int Read(float[][] channels, int offset, int maxFrames)
    {
        if (_blockPos >= _blockLength && !DecodeNextFrame()) return 0;
        int n = Math.Min(maxFrames, _blockLength - _blockPos);
        float scale = 1f / (1L << (_blockBits - 1));
        for (int c = 0; c < ChannelCount; c++)
        {
            var src = _block[c].AsSpan(_blockPos, n);
            var dest = channels[c].AsSpan(offset, n);
            if (_blockBits <= 24)
                for (int i = 0; i < n; i++) dest[i] = src[i] * scale; // exact: a power-of-two scale of a ≤ 24-bit integer
            else
                for (int i = 0; i < n; i++) dest[i] = WavReader.SoxSampleToFloat(_blockBits == 32 ? src[i] : src[i] << (32 - _blockBits));
        }
        _blockPos += n;
        return n;
    }

    public void Dispose() => _stream.Dispose();

    private AudioDecodingException Fail(string problem) => new(_name, problem);

    private void Fill(int atLeast)
    {
        if (Available >= atLeast || _eof) return;
        if (_bufferStart > 0)
        {
            Array.Copy(_buffer, _bufferStart, _buffer, 0, Available);
            _bufferEnd -= _bufferStart;
            _bufferStart = 0;
        }
        if (_buffer.Length < atLeast + 8) Array.Resize(ref _buffer, Math.Max(atLeast + 8, _buffer.Length * 2));
        while (_bufferEnd < atLeast && !_eof)
        {
            int n = _stream.Read(_buffer, _bufferEnd, _buffer.Length - 8 - _bufferEnd);
            if (n <= 0) _eof = true;
            else _bufferEnd += n;
        }
    }

    private void SkipBytes(long count)
    {
        while (count > 0)
        {
            if (Available == 0) Fill(1);
            if (Available == 0) throw Fail("the file ends inside a metadata block (truncated FLAC).");
            int n = (int)Math.Min(count, Available);
            _bufferStart += n;
            count -= n;
        }
    }

    /// <summary>Decodes one frame into <see cref="_block"/>; false at the end of the stream.</summary>
    private bool DecodeNextFrame()
    {
        // A frame is at most (header + 8 channels × 65535 × 33 bits) bytes; grow the look-ahead until it fits.
        int lookahead = 1 << 16;
        while (true)
        {
            Fill(lookahead);
            if (Available == 0) return false;
            if (Available < 2 || _buffer[_bufferStart] != 0xFF || (_buffer[_bufferStart + 1] & 0xFE) != 0xF8)
            {
                // Allow a trailing ID3v1 tag or a few bytes of junk after the last frame.
                if (_eof && (Available < 256 || _buffer.AsSpan(_bufferStart, 3).SequenceEqual("TAG"u8))) { _bufferStart = _bufferEnd; return false; }
                throw Fail("lost FLAC frame sync (corrupt data).");
            }
            Array.Clear(_buffer, _bufferEnd, Math.Min(8, _buffer.Length - _bufferEnd)); // the bit reader peeks 8 bytes ahead
            var bits = new BitReader(_buffer, _bufferStart, _bufferEnd);
            try
            {
                int length = DecodeFrame(ref bits);
                _bufferStart += length;
                _blockPos = 0;
                return true;
            }
            catch (EndOfFrameDataException)
            {
                if (_eof) throw Fail("the file ends inside a FLAC frame (truncated).");
                if (lookahead > 8 * 65536 * 33 / 8 + 1024) throw Fail("a FLAC frame is larger than the format allows (corrupt data).");
                lookahead *= 2;
            }
        }
    }

    private static readonly int[] SampleRates = { 0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000 };
    private static readonly int[] SampleSizes = { 0, 8, 12, 0, 16, 20, 24, 32 };

    private int DecodeFrame(ref BitReader r)
    {
        int start = r.BytePosition;
        r.ReadBits(15); // sync (14) + reserved
        r.ReadBits(1);  // blocking strategy
        int blockSizeCode = (int)r.ReadBits(4);
        int rateCode = (int)r.ReadBits(4);
        int assignment = (int)r.ReadBits(4);
        int sizeCode = (int)r.ReadBits(3);
        r.ReadBits(1);
        // UTF-8-like coded frame or sample number.
        uint first = r.ReadBits(8);
        int extra = first < 0x80 ? 0 : first < 0xC0 ? -1 : first < 0xE0 ? 1 : first < 0xF0 ? 2 : first < 0xF8 ? 3 : first < 0xFC ? 4 : first < 0xFE ? 5 : first == 0xFE ? 6 : -1;
        if (extra < 0) throw Fail("invalid FLAC frame number (corrupt data).");
        for (int i = 0; i < extra; i++)
            if ((r.ReadBits(8) & 0xC0) != 0x80) throw Fail("invalid FLAC frame number (corrupt data).");
        int blockSize = blockSizeCode switch
        {
            0 => throw Fail("reserved FLAC block size code (corrupt data)."),
            1 => 192,
            >= 2 and <= 5 => 576 << (blockSizeCode - 2),
            6 => (int)r.ReadBits(8) + 1,
            7 => (int)r.ReadBits(16) + 1,
            _ => 256 << (blockSizeCode - 8),
        };
        int rate = rateCode switch
        {
            0 => SampleRate,
            12 => (int)r.ReadBits(8) * 1000,
            13 => (int)r.ReadBits(16),
            14 => (int)r.ReadBits(16) * 10,
            15 => throw Fail("invalid FLAC sample rate code (corrupt data)."),
            _ => SampleRates[rateCode],
        };
        if (rate != SampleRate) throw Fail($"a FLAC frame has sample rate {rate}, the stream {SampleRate}; changing rates are not supported.");
        int bitsPerSample = sizeCode == 0 ? _streamBits : SampleSizes[sizeCode];
        if (bitsPerSample == 0) throw Fail("reserved FLAC sample size code (corrupt data).");
        int channels = assignment < 8 ? assignment + 1 : assignment <= 10 ? 2 : throw Fail("reserved FLAC channel assignment (corrupt data).");
        if (channels != ChannelCount) throw Fail($"a FLAC frame has {channels} channels, the stream {ChannelCount}.");
        int headerEnd = r.BytePosition;
        uint crc8 = r.ReadBits(8);
        if (Crc8(_buffer.AsSpan(start, headerEnd - start)) != crc8) throw Fail("FLAC frame header CRC mismatch (corrupt data).");

        for (int c = 0; c < channels; c++)
        {
            if (_block[c].Length < blockSize) _block[c] = new int[blockSize];
            int subBits = bitsPerSample + (assignment == 8 && c == 1 || assignment == 9 && c == 0 || assignment == 10 && c == 1 ? 1 : 0);
            DecodeSubframe(ref r, _block[c].AsSpan(0, blockSize), subBits);
        }
        r.AlignToByte();
        int crcEnd = r.BytePosition;
        uint crc16 = r.ReadBits(16);
        if (Crc16(_buffer.AsSpan(start, crcEnd - start)) != crc16) throw Fail("FLAC frame CRC mismatch (corrupt data).");

        var a = _block[0];
        var b = channels > 1 ? _block[1] : a;
        switch (assignment)
        {
            case 8: for (int i = 0; i < blockSize; i++) b[i] = a[i] - b[i]; break;          // left, side → right = left − side
            case 9: for (int i = 0; i < blockSize; i++) a[i] += b[i]; break;                // side, right → left = side + right
            case 10:
                for (int i = 0; i < blockSize; i++)
                {
                    long side = b[i];
                    long mid = ((long)a[i] << 1) | (side & 1);
                    a[i] = (int)((mid + side) >> 1);
                    b[i] = (int)((mid - side) >> 1);
                }
                break;
        }
        _blockLength = blockSize;
        _blockBits = bitsPerSample;
        return r.BytePosition - start;
    }

    private void DecodeSubframe(ref BitReader r, Span<int> output, int bits)
    {
        if (r.ReadBits(1) != 0) throw Fail("invalid FLAC subframe padding bit (corrupt data).");
        int type = (int)r.ReadBits(6);
        int wasted = 0;
        if (r.ReadBits(1) != 0) wasted = r.ReadUnary() + 1;
        bits -= wasted;
        if (bits <= 0 || bits > 33) throw Fail("invalid FLAC wasted-bits count (corrupt data).");
        int n = output.Length;
        if (type == 0)
        {
            int v = (int)r.ReadSigned(bits);
            output.Fill(v);
        }
        else if (type == 1)
        {
            for (int i = 0; i < n; i++) output[i] = (int)r.ReadSigned(bits);
        }
        else if (type >= 8 && type <= 12)
        {
            int order = type - 8;
            if (order > n) throw Fail("FLAC predictor order exceeds the block size (corrupt data).");
            for (int i = 0; i < order; i++) output[i] = (int)r.ReadSigned(bits);
            ReadResidual(ref r, output, order);
            RestoreFixed(output, order);
        }
        else if (type >= 32)
        {
            int order = type - 31;
            if (order > n) throw Fail("FLAC predictor order exceeds the block size (corrupt data).");
            for (int i = 0; i < order; i++) output[i] = (int)r.ReadSigned(bits);
            int precision = (int)r.ReadBits(4) + 1;
            if (precision == 16) throw Fail("invalid FLAC LPC precision (corrupt data).");
            int shift = (int)r.ReadSigned(5);
            if (shift < 0) throw Fail("negative FLAC LPC shift (corrupt data).");
            Span<int> coefs = stackalloc int[order];
            for (int i = 0; i < order; i++) coefs[i] = (int)r.ReadSigned(precision);
            ReadResidual(ref r, output, order);
            RestoreLpc(output, coefs, shift);
        }
        else throw Fail($"reserved FLAC subframe type {type} (corrupt data).");
        if (wasted > 0)
            for (int i = 0; i < n; i++) output[i] <<= wasted;
    }

    private void ReadResidual(ref BitReader r, Span<int> output, int order)
    {
        int method = (int)r.ReadBits(2);
        if (method > 1) throw Fail("reserved FLAC residual coding method (corrupt data).");
        int paramBits = method == 0 ? 4 : 5;
        int escape = method == 0 ? 15 : 31;
        int partitionOrder = (int)r.ReadBits(4);
        int partitions = 1 << partitionOrder;
        int n = output.Length;
        if (n % partitions != 0 || (n >> partitionOrder) < order) throw Fail("invalid FLAC residual partitioning (corrupt data).");
        int perPartition = n >> partitionOrder;
        int pos = order;
        for (int p = 0; p < partitions; p++)
        {
            int count = p == 0 ? perPartition - order : perPartition;
            int k = (int)r.ReadBits(paramBits);
            if (k == escape)
            {
                int raw = (int)r.ReadBits(5);
                for (int i = 0; i < count; i++) output[pos++] = raw == 0 ? 0 : (int)r.ReadSigned(raw);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    uint q = (uint)r.ReadUnary();
                    uint u = k == 0 ? q : (q << k) | r.ReadBits(k);
                    output[pos++] = (int)(u >> 1) ^ -(int)(u & 1);
                }
            }
        }
    }

    private static void RestoreFixed(Span<int> x, int order)
    {
        int n = x.Length;
        switch (order)
        {
            case 1: for (int i = 1; i < n; i++) x[i] += x[i - 1]; break;
            case 2: for (int i = 2; i < n; i++) x[i] += 2 * x[i - 1] - x[i - 2]; break;
            case 3: for (int i = 3; i < n; i++) x[i] += 3 * x[i - 1] - 3 * x[i - 2] + x[i - 3]; break;
            case 4: for (int i = 4; i < n; i++) x[i] += 4 * x[i - 1] - 6 * x[i - 2] + 4 * x[i - 3] - x[i - 4]; break;
        }
    }

    private static void RestoreLpc(Span<int> x, ReadOnlySpan<int> coefs, int shift)
    {
        int order = coefs.Length;
        for (int i = order; i < x.Length; i++)
        {
            long sum = 0;
            for (int j = 0; j < order; j++) sum += (long)coefs[j] * x[i - 1 - j];
            x[i] += (int)(sum >> shift);
        }
    }

    private static uint Crc8(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 0x80) != 0 ? ((crc << 1) ^ 0x07) & 0xFF : (crc << 1) & 0xFF;
        }
        return crc;
    }

    private static readonly ushort[] Crc16Table = BuildCrc16Table();

    private static ushort[] BuildCrc16Table()
    {
        var table = new ushort[256];
        for (int b = 0; b < 256; b++)
        {
            uint crc = (uint)b << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x8005 : crc << 1;
            table[b] = (ushort)crc;
        }
        return table;
    }

    private static uint Crc16(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (byte b in data) crc = ((crc << 8) ^ Crc16Table[((crc >> 8) ^ b) & 0xFF]) & 0xFFFF;
        return crc;
    }

    private sealed class EndOfFrameDataException : Exception { }

    /// <summary>MSB-first bit reader over a buffer that has 8 readable bytes past <c>end</c>.</summary>
    private ref struct BitReader(byte[] data, int start, int end)
    {
        private readonly byte[] _data = data;
        private readonly long _endBits = (long)end * 8;
        private long _bit = (long)start * 8;

        public int BytePosition => (int)(_bit >> 3);

        public void AlignToByte() => _bit = (_bit + 7) & ~7L;

        /// <summary>Up to 32 bits, unsigned.</summary>
        public uint ReadBits(int n)
        {
            if (n == 0) return 0;
            if (_bit + n > _endBits) throw new EndOfFrameDataException();
            ulong word = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan((int)(_bit >> 3), 8)) << (int)(_bit & 7);
            _bit += n;
            return (uint)(word >> (64 - n));
        }

        /// <summary>Up to 33 bits, two's complement.</summary>
        public long ReadSigned(int n)
        {
            if (n <= 32)
            {
                uint v = ReadBits(n);
                return n == 32 ? (int)v : (long)((int)(v << (32 - n)) >> (32 - n));
            }
            long high = ReadSigned(n - 32);
            return (high << 32) | ReadBits(32);
        }

        /// <summary>The number of 0 bits before the next 1 bit (which is consumed).</summary>
        public int ReadUnary()
        {
            int count = 0;
            while (true)
            {
                if (_bit >= _endBits) throw new EndOfFrameDataException();
                int offset = (int)(_bit & 7);
                ulong word = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan((int)(_bit >> 3), 8)) << offset;
                int valid = 64 - offset;
                int zeros = BitOperations.LeadingZeroCount(word);
                if (zeros < valid)
                {
                    _bit += zeros + 1;
                    if (_bit > _endBits) throw new EndOfFrameDataException();
                    return count + zeros;
                }
                count += valid;
                _bit += valid;
            }
        }
    }
}
