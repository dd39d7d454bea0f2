using ClaMP3.ML.IO;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}</c>, offsets relative to
/// the end of the header), then the raw little-endian tensor data.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100_000_000; // the reference implementation's limit

    /// <summary>True when the file starts like a safetensors file (a plausible header length followed by '{').</summary>
    public static bool LooksLikeSafetensors(ReadOnlySpan<byte> start, long fileLength)
    {
        if (start.Length < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
        return n >= 2 && n <= (ulong)Math.Min(MaxHeaderBytes, fileLength - 8) && start[8] == (byte)'{';
    }

    public static StateDict Read(string path)
    {
        var tensors = new List<KeyValuePair<string, CheckpointTensor>>();
        var metadata = ReadEntries(path, (name, dtype, shape, readData) => tensors.Add(new(name, new CheckpointTensor(dtype, shape, readData()))));
        return new StateDict(tensors, path, metadata);
    }

    /// <summary>Tensor name → shape from the header alone (no tensor data is read); the header is checked as by <see cref="Read"/>.</summary>
    public static IReadOnlyDictionary<string, long[]> ReadShapes(string path)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        ReadEntries(path, (name, _, shape, _) => shapes[name] = shape);
        return shapes;
    }

    /// <summary>Parses and checks the header, calling <paramref name="onTensor"/> for each tensor in header order with a
    /// function that reads its bytes; returns the <c>__metadata__</c>.</summary>
    private static Dictionary<string, object?> ReadEntries(string path, Action<string, TensorDType, long[], Func<byte[]>> onTensor)
    {
        using var file = OpenRead(path);
        long length = file.Length;
        if (length < 8) throw new InvalidDataException($"{path}: {length} bytes is too short for a safetensors file (needs an 8-byte header length).");
        Span<byte> lenBytes = stackalloc byte[8];
        file.ReadExactly(lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > (ulong)Math.Min(MaxHeaderBytes, length - 8))
            throw new InvalidDataException($"{path}: safetensors header length {headerLength} exceeds the file ({length} bytes) or the {MaxHeaderBytes}-byte limit (truncated or not a safetensors file?).");
        var header = new byte[headerLength];
        file.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;

        var metadata = new Dictionary<string, object?>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: the safetensors header is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: the safetensors header is not a JSON object.");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: '__metadata__' is not an object.");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString() : m.Value.GetRawText();
                    continue;
                }
                var (dtype, shape, begin, end, expected) = ParseEntry(path, property);
                if (end - begin != expected)
                    throw new InvalidDataException($"{path}: tensor '{property.Name}' ({dtype} [{string.Join(", ", shape)}]) needs {expected} bytes, its data_offsets span {end - begin}.");
                if (end > dataLength)
                    throw new InvalidDataException($"{path}: tensor '{property.Name}' ends at data byte {end}, but the file has only {dataLength} data bytes (truncated?).");
                onTensor(property.Name, dtype, shape, () =>
                {
                    var data = new byte[expected];
                    file.Position = dataStart + begin;
                    file.ReadExactly(data);
                    return data;
                });
            }
        }
        return metadata;
    }

    private static (TensorDType dtype, long[] shape, long begin, long end, long bytes) ParseEntry(string path, JsonProperty property)
    {
        try
        {
            var e = property.Value;
            var dtypeName = e.GetProperty("dtype").GetString() ?? "";
            var dtype = TensorDTypes.FromSafetensorsName(dtypeName)
                ?? throw new InvalidDataException($"{path}: tensor '{property.Name}' has unsupported dtype '{dtypeName}'.");
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"{path}: tensor '{property.Name}' has a negative dimension.");
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new InvalidDataException($"{path}: tensor '{property.Name}' has invalid data_offsets [{string.Join(", ", offsets)}].");
            long bytes = checked(CheckpointTensor.ElementCountOf(shape) * dtype.ElementSize());
            if (bytes > Array.MaxLength) throw new InvalidDataException($"{path}: tensor '{property.Name}' ({bytes} bytes) is larger than one .NET array can hold.");
            return (dtype, shape, offsets[0], offsets[1], bytes);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{path}: tensor '{property.Name}' has a malformed header entry (needs dtype, shape, data_offsets): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Writes tensors as safetensors (what <c>safetensors.torch.save_file</c> reads): header keys and data sorted by
    /// name, "__metadata__" first when given, header padded with spaces to a multiple of 8. Written atomically.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, CheckpointTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(kv => (kv.Key, kv.Value.DType, kv.Value.Shape, kv.Value)), metadata);

    private static void Write(string path, IEnumerable<(string Name, TensorDType DType, long[] Shape, CheckpointTensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var entries = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Name == entries[i - 1].Name) throw new ArgumentException($"Duplicate tensor name '{entries[i].Name}'.");
        if (entries.Any(e => e.Name == "__metadata__")) throw new ArgumentException("'__metadata__' is reserved in safetensors.");

        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, _) in entries)
            {
                long bytes = checked(CheckpointTensor.ElementCountOf(shape) * dtype.ElementSize());
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        var header = json.ToArray().ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');

        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Count);
            stream.Write(len);
            stream.Write(header.ToArray());
            foreach (var (name, dtype, shape, tensor) in entries)
            {
                stream.Write(tensor.Data);
            }
        });
    }

    internal static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file not found: {path}", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }
}
