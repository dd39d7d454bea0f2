using System.Buffers.Binary;
using System.Text;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>How vectors are compared. Only cosine today: rows are stored unit-normalised, so a score is a dot product.</summary>
public enum VectorMetric { Cosine = 1 }

/// <summary>How the matrix is stored on disk.</summary>
public enum VectorElement { Float32 = 1, Float16 = 2 }

/// <summary>
/// The fixed header of a <c>clamp3</c> vector index file (little-endian, one 4096-byte page so that the matrix that
/// follows is page-aligned for memory mapping):
/// <code>
///  0  8  magic "C3VINDEX"          32  8  matrix offset (4096)
///  8  4  version (1)               40  8  key table offset (= matrix offset + count * dimension * element size)
/// 12  4  dimension                 48  8  key table length in bytes (each key: u32 byte length + UTF-8)
/// 16  8  count (rows)              56  8  length of the HNSW sidecar file INDEX.hnsw (0 = none)
/// 24  4  metric (1 = cosine)       64  8  HNSW connectivity, 72 8 HNSW expansion used when it was built
/// 28  4  element (1 = f32, 2 = f16)
/// </code>
/// The file must end exactly where the key table ends: a truncated or padded file is refused.
/// </summary>
public sealed record VectorIndexHeader(int Dimension, long Count, VectorMetric Metric, VectorElement Element,
    long KeysOffset, long KeysLength, long AnnLength, int AnnConnectivity, int AnnExpansionAdd)
{
    public const int Size = 4096;
    public const int Version = 1;
    public const int MaxDimension = 1 << 16;
    public static ReadOnlySpan<byte> Magic => "C3VINDEX"u8;

    public long MatrixOffset => Size;
    public int ElementSize => Element == VectorElement.Float16 ? 2 : 4;
    public long MatrixLength => Count * Dimension * ElementSize;

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        Magic.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16), Count);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(24), (int)Metric);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(28), (int)Element);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(32), MatrixOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(40), KeysOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(48), KeysLength);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(56), AnnLength);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(64), AnnConnectivity);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(72), AnnExpansionAdd);
        return b;
    }

    /// <summary>True when the file starts with the index magic (how the CLI tells an index file from a folder or an .npy).</summary>
    public static bool HasMagic(string path)
    {
        if (!File.Exists(path)) return false;
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(Magic);
    }

    /// <summary>Parses and checks a header against the file's real length; every failure names the file.</summary>
    public static VectorIndexHeader Parse(string path, ReadOnlySpan<byte> b, long fileLength)
    {
        InvalidDataException Bad(string why) => new($"{path}: {why}");
        if (b.Length < Size || fileLength < Size) throw Bad($"truncated index file ({fileLength} bytes, the header alone is {Size}).");
        if (!b[..8].SequenceEqual(Magic)) throw Bad("not a clamp3 vector index (bad magic).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(b[8..]);
        if (version != Version) throw Bad($"index format version {version}, this build reads version {Version}.");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(b[12..]);
        long count = BinaryPrimitives.ReadInt64LittleEndian(b[16..]);
        int metric = BinaryPrimitives.ReadInt32LittleEndian(b[24..]);
        int element = BinaryPrimitives.ReadInt32LittleEndian(b[28..]);
        long matrixOffset = BinaryPrimitives.ReadInt64LittleEndian(b[32..]);
        long keysOffset = BinaryPrimitives.ReadInt64LittleEndian(b[40..]);
        long keysLength = BinaryPrimitives.ReadInt64LittleEndian(b[48..]);
        long annLength = BinaryPrimitives.ReadInt64LittleEndian(b[56..]);
        long connectivity = BinaryPrimitives.ReadInt64LittleEndian(b[64..]);
        long expansion = BinaryPrimitives.ReadInt64LittleEndian(b[72..]);
        if (dimension < 1 || dimension > MaxDimension) throw Bad($"implausible dimension {dimension}.");
        if (count < 0 || count > int.MaxValue) throw Bad($"implausible row count {count}.");
        if (metric != (int)VectorMetric.Cosine) throw Bad($"unknown metric {metric}.");
        if (element is not ((int)VectorElement.Float32 or (int)VectorElement.Float16)) throw Bad($"unknown element type {element}.");
        if (annLength < 0 || connectivity is < 0 or > 4096 || expansion is < 0 or > 1 << 20) throw Bad("corrupt HNSW fields in the header.");
        var header = new VectorIndexHeader(dimension, count, (VectorMetric)metric, (VectorElement)element, keysOffset, keysLength,
            annLength, (int)connectivity, (int)expansion);
        if (matrixOffset != Size || keysOffset != Size + header.MatrixLength || keysLength < 4 * count)
            throw Bad($"inconsistent layout (matrix at {matrixOffset}, keys at {keysOffset}, {keysLength} key bytes for {count} rows of {dimension}).");
        if (fileLength != keysOffset + keysLength)
            throw Bad(fileLength < keysOffset + keysLength
                ? $"truncated: {fileLength} bytes, the header promises {keysOffset + keysLength} ({count} x {dimension} {header.Element} and the key table)."
                : $"{fileLength - keysOffset - keysLength} unexpected bytes after the key table.");
        return header;
    }

    /// <summary>Reads <paramref name="count"/> length-prefixed UTF-8 keys, never trusting a declared length.</summary>
    public static string[] ReadKeys(string path, ReadOnlySpan<byte> table, long count)
    {
        var keys = new string[count];
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        int at = 0;
        for (long i = 0; i < count; i++)
        {
            if (table.Length - at < 4) throw new InvalidDataException($"{path}: key table ends before key {i} of {count}.");
            int length = BinaryPrimitives.ReadInt32LittleEndian(table[at..]);
            at += 4;
            if (length < 0 || length > table.Length - at) throw new InvalidDataException($"{path}: key {i} declares {length} bytes, {table.Length - at} remain.");
            try { keys[i] = utf8.GetString(table.Slice(at, length)); }
            catch (DecoderFallbackException) { throw new InvalidDataException($"{path}: key {i} is not valid UTF-8."); }
            at += length;
        }
        if (at != table.Length) throw new InvalidDataException($"{path}: {table.Length - at} unexpected bytes after the last key.");
        return keys;
    }

    public static byte[] WriteKeys(IReadOnlyList<string> keys)
    {
        using var buffer = new MemoryStream();
        Span<byte> len = stackalloc byte[4];
        foreach (var key in keys)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteInt32LittleEndian(len, bytes.Length);
            buffer.Write(len);
            buffer.Write(bytes);
        }
        return buffer.ToArray();
    }
}
