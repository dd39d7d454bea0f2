using ClaMP3.ML.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaMP3.ML.Onnx;

/// <summary>Numeric precision of exported ONNX models.</summary>
public enum OnnxPrecision
{
    Float32,
    /// <summary>Dynamically quantized: transformer weights int8 per output channel, activations quantized at run time.</summary>
    Int8,
}

/// <summary>One model file of an export folder.</summary>
public sealed record OnnxModelEntry(string Key, string File, string Sha256, long Bytes);

/// <summary>
/// <c>manifest.json</c> beside the exported models: format, exporter version, opset, precision, the source checkpoint's
/// file name and SHA-256, the config file, and every model file with its SHA-256 and size.
/// </summary>
public sealed class OnnxExportManifest
{
    public const string FileName = "manifest.json";
    public const string Format = "clamp3-onnx";
    /// <summary>Bumped whenever the graphs change meaning or layout.</summary>
    public const string ExporterVersion = "1";

    public required string Directory { get; init; }
    public required OnnxPrecision Precision { get; init; }
    public required int Opset { get; init; }
    public required string ExporterVersionWritten { get; init; }
    /// <summary>CLaMP 3 checkpoint file name and SHA-256 (null for a MERT-only export).</summary>
    public string? CheckpointFile { get; init; }
    public string? CheckpointSha256 { get; init; }
    /// <summary>The CLaMP 3 <c>config.json</c> in the folder (null for a MERT-only export).</summary>
    public string? ConfigFile { get; init; }
    /// <summary>The MERT <c>config.json</c> copy in the folder and the SHA-256 of the MERT weights file exported.</summary>
    public string? MertConfigFile { get; init; }
    public string? MertWeightsSha256 { get; init; }
    public required IReadOnlyList<OnnxModelEntry> Models { get; init; }

    public OnnxModelEntry? Model(string key) => Models.FirstOrDefault(m => m.Key == key);

    /// <summary>The model file of <paramref name="key"/> (text, symbolic, audio, mert), its SHA-256 checked against the
    /// manifest. Throws <see cref="InvalidDataException"/> naming the file when it is missing, resized or altered.</summary>
    public string VerifiedModelPath(string key)
    {
        var entry = Model(key) ?? throw new InvalidDataException($"{Path.Combine(Directory, FileName)}: the export has no '{key}' model{(key == "mert" ? " (export it with --mert)" : "")}.");
        var path = Path.Combine(Directory, entry.File);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: model file missing (listed in {FileName}).");
        var length = new FileInfo(path).Length;
        if (length != entry.Bytes)
            throw new InvalidDataException($"{path}: the file has {length} bytes, {FileName} says {entry.Bytes}: corrupted or replaced; export again.");
        if (!string.Equals(SafeArchive.Sha256(path), entry.Sha256, StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: SHA-256 does not match {FileName}: corrupted or replaced; export again.");
        return path;
    }

    /// <summary>The <c>Description</c> of an ONNX engine over this export: "onnx cpu|cuda float32|int8".</summary>
    internal string EngineDescription(bool useCuda) =>
        $"onnx {(useCuda ? "cuda" : "cpu")} {PrecisionName(Precision)}";

    /// <summary>"float32" or "int8", as the manifest, the model metadata and engine descriptions spell a precision.</summary>
    internal static string PrecisionName(OnnxPrecision precision) => precision == OnnxPrecision.Int8 ? "int8" : "float32";

    /// <summary>Refuses a folder exported from another checkpoint than <paramref name="checkpointPath"/>.</summary>
    public void RequireCheckpoint(string checkpointPath)
    {
        if (CheckpointSha256 is null) throw new InvalidDataException($"{Path.Combine(Directory, FileName)}: the export holds no CLaMP 3 models.");
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"CLaMP 3 checkpoint not found: {checkpointPath}", checkpointPath);
        var sha = SafeArchive.Sha256(checkpointPath);
        if (!string.Equals(sha, CheckpointSha256, StringComparison.Ordinal))
            throw new InvalidDataException(
                $"{Directory}: exported from another checkpoint ({CheckpointFile}, SHA-256 {CheckpointSha256[..12]}…) than {checkpointPath} (SHA-256 {sha[..12]}…); export it again from this checkpoint.");
    }

    /// <summary>Reads and checks <c>manifest.json</c> of an export folder; every problem is one message naming the file.</summary>
    public static OnnxExportManifest Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"ONNX folder not found: {directory}");
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: no {FileName}; not a folder written by `clamp3 export onnx`.");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path, new UTF8Encoding(false, true))) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object."); }
        catch (Exception e) when (e is JsonException or DecoderFallbackException) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})."); }
        string Str(string key) => root[key] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new InvalidDataException($"{path}: field '{key}' missing or not a string.");
        string? OptStr(string key) => root[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (Str("format") != Format) throw new InvalidDataException($"{path}: format '{Str("format")}' is not '{Format}'.");
        var precision = Str("precision") switch
        {
            "float32" => OnnxPrecision.Float32,
            "int8" => OnnxPrecision.Int8,
            var other => throw new InvalidDataException($"{path}: unknown precision '{other}'."),
        };
        int opset = root["opset"] is JsonValue o && o.TryGetValue(out int op) ? op : throw new InvalidDataException($"{path}: field 'opset' missing.");
        if (root["models"] is not JsonArray models) throw new InvalidDataException($"{path}: field 'models' missing or not a list.");
        var entries = new List<OnnxModelEntry>();
        foreach (var m in models)
        {
            if (m is not JsonObject mo) throw new InvalidDataException($"{path}: a 'models' entry is not an object.");
            string Field(string key) => mo[key] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new InvalidDataException($"{path}: a model entry lacks '{key}'.");
            var file = Field("file");
            if (file.Contains('/') || file.Contains('\\') || file is "." or ".." || Path.IsPathRooted(file))
                throw new InvalidDataException($"{path}: model file name '{file}' must be a plain file name inside the folder.");
            long bytes = mo["bytes"] is JsonValue bv && bv.TryGetValue(out long n) && n > 0 ? n : throw new InvalidDataException($"{path}: model '{Field("key")}' lacks a positive 'bytes'.");
            entries.Add(new OnnxModelEntry(Field("key"), file, Field("sha256"), bytes));
        }
        return new OnnxExportManifest
        {
            Directory = directory,
            Precision = precision,
            Opset = opset,
            ExporterVersionWritten = Str("exporter_version"),
            CheckpointFile = OptStr("checkpoint_file"),
            CheckpointSha256 = OptStr("checkpoint_sha256"),
            ConfigFile = OptStr("config_file"),
            MertConfigFile = OptStr("mert_config_file"),
            MertWeightsSha256 = OptStr("mert_weights_sha256"),
            Models = entries,
        };
    }

    /// <summary>Writes the manifest (keys in a fixed order, so the same export gives the same bytes).</summary>
    internal void Write()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("exporter_version", ExporterVersionWritten);
            w.WriteNumber("opset", Opset);
            w.WriteNumber("ir_version", OnnxGraph.IrVersion);
            w.WriteString("precision", PrecisionName(Precision));
            if (CheckpointFile is not null) w.WriteString("checkpoint_file", CheckpointFile);
            if (CheckpointSha256 is not null) w.WriteString("checkpoint_sha256", CheckpointSha256);
            if (ConfigFile is not null) w.WriteString("config_file", ConfigFile);
            if (MertConfigFile is not null) w.WriteString("mert_config_file", MertConfigFile);
            if (MertWeightsSha256 is not null) w.WriteString("mert_weights_sha256", MertWeightsSha256);
            w.WriteStartArray("models");
            foreach (var m in Models)
            {
                w.WriteStartObject();
                w.WriteString("key", m.Key);
                w.WriteString("file", m.File);
                w.WriteString("sha256", m.Sha256);
                w.WriteNumber("bytes", m.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(Directory, FileName), stream.ToArray());
    }
}

internal static class OnnxFiles
{
    /// <summary>Serialises a model to <c>{key}.onnx</c> in <paramref name="directory"/> and returns its manifest entry.</summary>
    public static OnnxModelEntry WriteModel(string directory, string key, ProtoMessage model)
    {
        var file = key + ".onnx";
        var path = Path.Combine(directory, file);
        string sha = "";
        AtomicFile.Write(path, stream =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var hashing = new HashingStream(stream, hash);
            model.WriteTo(hashing);
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        });
        return new OnnxModelEntry(key, file, sha, new FileInfo(path).Length);
    }

    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) { hash.AppendData(buffer); inner.Write(buffer); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
