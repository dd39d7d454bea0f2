using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.IO;

/// <summary>An array read from or written to NumPy's <c>.npy</c> format (little-endian, C order).</summary>
/// <remarks>Values are widened to <see cref="double"/> on read only through the typed accessors, so float32 data
/// keeps its exact bits through <see cref="ToFloat32"/>.</remarks>
public sealed class NpyArray
{
    public NpyArray(string dtype, long[] shape, byte[] data)
    {
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>NumPy type string without the byte-order mark: <c>f4</c>, <c>f8</c>, <c>i8</c>, <c>i4</c>, <c>u1</c>, <c>b1</c>…</summary>
    public string DType { get; }
    public long[] Shape { get; }
    /// <summary>Raw little-endian element bytes in C order.</summary>
    public byte[] Data { get; }
    public long Length => Shape.Aggregate(1L, (a, b) => checked(a * b));

    /// <summary>Float data as float32, refusing NaN and ±Inf with an error naming <paramref name="source"/>
    /// (features read from disk: one non-finite value makes every result computed from them NaN).</summary>
    public float[] ToFiniteFloat32(string source)
    {
        var values = ToFloat32();
        Checkpoints.FiniteValues.Require(values, source, $"the {DType} array ({string.Join(", ", Shape)})");
        return values;
    }

    public float[] ToFloat32() => DType switch
    {
        "f4" => Cast<float>(),
        "f8" => Cast<double>().Select(v => (float)v).ToArray(),
        "f2" => Cast<Half>().Select(v => (float)v).ToArray(),
        _ => throw new InvalidDataException($"npy dtype '{DType}' is not a floating-point type."),
    };

    public long[] ToInt64() => DType switch
    {
        "i8" => Cast<long>(),
        "i4" => Cast<int>().Select(v => (long)v).ToArray(),
        "i2" => Cast<short>().Select(v => (long)v).ToArray(),
        "u1" or "b1" => Data.Select(v => (long)v).ToArray(),
        "i1" => Data.Select(v => (long)(sbyte)v).ToArray(),
        _ => throw new InvalidDataException($"npy dtype '{DType}' is not an integer type."),
    };

    public double[] ToFloat64() => DType switch
    {
        "f8" => Cast<double>(),
        _ => ToFloat32().Select(v => (double)v).ToArray(),
    };

    private T[] Cast<T>() where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data).ToArray();
}

/// <summary>Reads and writes <c>.npy</c> files (format versions 1.0–3.0 on read; 1.0 on write, as numpy.save does).</summary>
public static class NpyFile
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public static NpyArray Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: the .npy file is truncated.", e);
        }
    }

    /// <summary>Headers longer than this are refused before they are read (numpy itself refuses over 10,000 bytes by default).</summary>
    private const int MaxHeaderBytes = 1 << 20;

    public static NpyArray Read(Stream stream)
    {
        var reader = new BinaryReader(stream);
        var magic = reader.ReadBytes(6);
        if (magic.Length < 6 || !magic.AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException("not a .npy file (bad magic).");
        int major = reader.ReadByte();
        reader.ReadByte();
        if (major is < 1 or > 3) throw new InvalidDataException($"unsupported .npy format version {major}.");
        long headerLength = major == 1 ? reader.ReadUInt16() : reader.ReadUInt32();
        if (headerLength > MaxHeaderBytes || (stream.CanSeek && headerLength > stream.Length - stream.Position))
            throw new InvalidDataException($"the .npy header declares {headerLength} bytes, more than the file holds or the {MaxHeaderBytes}-byte limit.");
        var headerBytes = reader.ReadBytes((int)headerLength);
        if (headerBytes.Length < headerLength) throw new EndOfStreamException();
        string header = (major >= 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = Regex.Match(header, @"'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d*)'");
        var order = Regex.Match(header, @"'fortran_order'\s*:\s*(True|False)");
        var shapeMatch = Regex.Match(header, @"'shape'\s*:\s*\(([^)]*)\)");
        if (!descr.Success || !order.Success || !shapeMatch.Success)
            throw new InvalidDataException($"unsupported .npy header: {header.Trim()}");
        if (descr.Groups[1].Value == ">")
            throw new InvalidDataException("big-endian .npy arrays are not supported.");
        if (order.Groups[1].Value == "True")
            throw new InvalidDataException("Fortran-order .npy arrays are not supported; save with C order.");
        string dtype = descr.Groups[2].Value;
        long[] shape = ParseShape(shapeMatch.Groups[1].Value);
        long byteCount = DataBytes(shape, ItemSize(dtype), shapeMatch.Groups[1].Value);
        // The declared size is checked against what the file holds before anything is allocated.
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (byteCount > remaining)
                throw new InvalidDataException($"truncated .npy data: the shape ({string.Join(", ", shape)}) needs {byteCount} bytes, the file holds {remaining}.");
            if (byteCount < remaining)
                throw new InvalidDataException($"the .npy file holds {remaining - byteCount} bytes beyond the {byteCount} its shape ({string.Join(", ", shape)}) needs (corrupt or not what the header says).");
        }
        var data = ReadUpTo(stream, byteCount);
        if (data.Length < byteCount)
            throw new InvalidDataException($"truncated .npy data: expected {byteCount} bytes, found {data.Length}.");
        return new NpyArray(dtype, shape, data);
    }

    private static long[] ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            // numpy may write Python 2 longs as "3L".
            string part = parts[i].EndsWith('L') ? parts[i][..^1] : parts[i];
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"the .npy shape ({text}) has an invalid dimension '{parts[i]}'.");
        }
        return shape;
    }

    /// <summary>The data size a shape needs, computed without overflow and bounded by what one array can hold.</summary>
    private static long DataBytes(long[] shape, int itemSize, string text)
    {
        try
        {
            long bytes = itemSize;
            foreach (var d in shape) bytes = checked(bytes * d);
            if (bytes > Array.MaxLength) throw new InvalidDataException($"the .npy shape ({text}) needs {bytes} bytes, more than one array can hold.");
            return bytes;
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"the .npy shape ({text}) overflows: its element count is not representable.");
        }
    }

    /// <summary>Reads <paramref name="count"/> bytes or up to the end, growing the buffer as data arrives (a
    /// non-seekable stream cannot be checked against its length first).</summary>
    private static byte[] ReadUpTo(Stream stream, long count)
    {
        if (stream.CanSeek)
        {
            var data = new byte[count];
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            return got == data.Length ? data : data[..got];
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        while (buffer.Length < count)
        {
            int n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, count - buffer.Length));
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    public static void WriteFloat32(string path, ReadOnlySpan<float> values, params long[] shape) =>
        Write(path, "f4", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    public static void WriteInt64(string path, ReadOnlySpan<long> values, params long[] shape) =>
        Write(path, "i8", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    /// <summary>Writes atomically: a temporary file in the same folder, then a rename, so a crash never leaves a half file.</summary>
    public static void Write(string path, string dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count * ItemSize(dtype) != data.Length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) does not match {data.Length} bytes of {dtype}.");
        using var writer = AtomicFile.Create(path);
        Write(writer.Stream, dtype, shape, data);
        writer.Commit();
    }

    public static void Write(Stream stream, string dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string endian = dtype is "u1" or "i1" or "b1" ? "|" : "<";
        string header = $"{{'descr': '{endian}{dtype}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // numpy pads the header with spaces so that magic + length + header is a multiple of 64, ending in '\n'.
        int total = 10 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        Span<byte> prefix = stackalloc byte[10];
        Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], (ushort)header.Length);
        stream.Write(prefix);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(data);
    }

    private static int ItemSize(string dtype) => dtype switch
    {
        "f4" or "i4" or "u4" => 4,
        "f8" or "i8" or "u8" => 8,
        "f2" or "i2" or "u2" => 2,
        "u1" or "i1" or "b1" => 1,
        _ => throw new InvalidDataException($"unsupported .npy dtype '{dtype}'."),
    };
}
