using System.Buffers.Binary;
using System.Text;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// Writes an uncompressed ("stored") zip as PyTorch's PyTorchStreamWriter does: every entry's data starts at a
/// multiple of 64 bytes (padding in an extra field with id "FB") so that readers can map storages in place, and
/// zip64 records are used once sizes or offsets pass 4 GiB (a training checkpoint with optimizer state can).
/// </summary>
internal sealed class StoredZipWriter
{
    private const int Alignment = 64;
    private const uint Max32 = 0xFFFFFFFF;

    private readonly Stream _out;
    private readonly bool _forceZip64;
    private readonly List<(byte[] Name, uint Crc, long Size, long Offset, bool Zip64)> _entries = new();

    /// <param name="forceZip64">Use zip64 records even for small archives (to test that path).</param>
    public StoredZipWriter(Stream output, bool forceZip64 = false)
    {
        _out = output;
        _forceZip64 = forceZip64;
    }

    public void Add(string name, ReadOnlySpan<byte> data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        long offset = _out.Position;
        long size = data.Length;
        bool zip64 = _forceZip64 || size >= Max32 || offset >= Max32;
        uint crc = Crc32.Compute(data);

        int zip64Extra = zip64 ? 4 + 16 : 0;
        long dataStartWithoutPad = offset + 30 + nameBytes.Length + zip64Extra + 4;
        int pad = (int)((Alignment - dataStartWithoutPad % Alignment) % Alignment);

        Span<byte> h = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], (ushort)(zip64 ? 45 : 20));
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);          // flags
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);          // method: stored
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0);         // time 00:00
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 0x21);      // date 1980-01-01
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], zip64 ? Max32 : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], zip64 ? Max32 : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(zip64Extra + 4 + pad));
        _out.Write(h);
        _out.Write(nameBytes);
        if (zip64)
        {
            Span<byte> z = stackalloc byte[20];
            BinaryPrimitives.WriteUInt16LittleEndian(z, 0x0001);
            BinaryPrimitives.WriteUInt16LittleEndian(z[2..], 16);
            BinaryPrimitives.WriteInt64LittleEndian(z[4..], size);
            BinaryPrimitives.WriteInt64LittleEndian(z[12..], size);
            _out.Write(z);
        }
        Span<byte> fb = stackalloc byte[4 + Alignment];
        fb.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(fb, 0x4246); // "FB"
        BinaryPrimitives.WriteUInt16LittleEndian(fb[2..], (ushort)pad);
        _out.Write(fb[..(4 + pad)]);
        _out.Write(data);
        _entries.Add((nameBytes, crc, size, offset, zip64));
    }

    public void Finish()
    {
        long cdStart = _out.Position;
        Span<byte> c = stackalloc byte[46]; // reused: a stackalloc inside the loop would grow the stack per entry
        Span<byte> z = stackalloc byte[28];
        foreach (var (name, crc, size, offset, zip64) in _entries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(c, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(c[4..], 45);         // made by: zip 4.5
            BinaryPrimitives.WriteUInt16LittleEndian(c[6..], (ushort)(zip64 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(c[8..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(c[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(c[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(c[14..], 0x21);
            BinaryPrimitives.WriteUInt32LittleEndian(c[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(c[20..], zip64 ? Max32 : (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], zip64 ? Max32 : (uint)size);
            BinaryPrimitives.WriteUInt16LittleEndian(c[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(c[30..], (ushort)(zip64 ? 28 : 0));
            // comment length, disk, internal and external attributes: 0
            c[32..42].Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(c[42..], zip64 ? Max32 : (uint)offset);
            _out.Write(c);
            _out.Write(name);
            if (zip64)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(z, 0x0001);
                BinaryPrimitives.WriteUInt16LittleEndian(z[2..], 24);
                BinaryPrimitives.WriteInt64LittleEndian(z[4..], size);
                BinaryPrimitives.WriteInt64LittleEndian(z[12..], size);
                BinaryPrimitives.WriteInt64LittleEndian(z[20..], offset);
                _out.Write(z);
            }
        }
        long cdEnd = _out.Position;
        long cdSize = cdEnd - cdStart;
        bool zip64End = _forceZip64 || _entries.Count >= 0xFFFF || cdStart >= Max32 || cdSize >= Max32;
        if (zip64End)
        {
            Span<byte> r = stackalloc byte[56];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(r[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(r[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(r[14..], 45);
            BinaryPrimitives.WriteUInt32LittleEndian(r[16..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(r[20..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(r[24..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(r[32..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(r[40..], cdSize);
            BinaryPrimitives.WriteInt64LittleEndian(r[48..], cdStart);
            _out.Write(r);
            Span<byte> l = stackalloc byte[20];
            BinaryPrimitives.WriteUInt32LittleEndian(l, 0x07064b50);
            BinaryPrimitives.WriteUInt32LittleEndian(l[4..], 0);
            BinaryPrimitives.WriteInt64LittleEndian(l[8..], cdEnd);
            BinaryPrimitives.WriteUInt32LittleEndian(l[16..], 1);
            _out.Write(l);
        }
        Span<byte> e = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(e[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(e[6..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(e[8..], zip64End ? (ushort)0xFFFF : (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(e[10..], zip64End ? (ushort)0xFFFF : (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], zip64End ? Max32 : (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(e[16..], zip64End ? Max32 : (uint)cdStart);
        BinaryPrimitives.WriteUInt16LittleEndian(e[20..], 0);
        _out.Write(e);
    }
}

/// <summary>CRC-32 (IEEE 802.3, as zip uses), slicing by 8.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        for (int i = 0; i < 256; i++)
            for (int s = 1; s < 8; s++)
                t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xFF];
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        var t = Table;
        while (data.Length >= 8)
        {
            uint a = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint b = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[7 * 256 + (a & 0xFF)] ^ t[6 * 256 + ((a >> 8) & 0xFF)] ^ t[5 * 256 + ((a >> 16) & 0xFF)] ^ t[4 * 256 + (a >> 24)]
                ^ t[3 * 256 + (b & 0xFF)] ^ t[2 * 256 + ((b >> 8) & 0xFF)] ^ t[256 + ((b >> 16) & 0xFF)] ^ t[b >> 24];
            data = data[8..];
        }
        foreach (var x in data) crc = t[(crc ^ x) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
