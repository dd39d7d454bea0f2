using ClaMP3.ML.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaMP3.ML.Transforms.Core;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms;

/// <summary>How a pipeline with CLaMP 3 transforms is saved.</summary>
public sealed class Clamp3SaveOptions
{
    /// <summary>Copy the checkpoint, tokenizer, config and MERT files into the model file (one self-contained
    /// artifact for production; large). When false, the file records their paths, sizes and SHA-256.</summary>
    public bool IncludeWeights { get; set; }
}

/// <summary>How a saved pipeline finds its weights when loaded.</summary>
public sealed class Clamp3LoadOptions
{
    /// <summary>A folder searched (by file name) for weights that are neither included nor at their saved path.</summary>
    public string? WeightsDirectory { get; set; }
    /// <summary>Where included weights are unpacked (default: a <c>clamp3-models</c> folder in the temp folder,
    /// one subfolder per content hash, reused across loads).</summary>
    public string? ExtractDirectory { get; set; }
    /// <summary>Check the SHA-256 of referenced weights (slow for 1.8 GB checkpoints); sizes are always checked.</summary>
    public bool VerifyChecksums { get; set; }
    /// <summary>Overrides the saved device (e.g. load a GPU-trained pipeline on <c>cpu</c>).</summary>
    public string? Device { get; set; }
}

/// <summary>
/// Saves and loads ML.NET pipelines that contain CLaMP 3 transforms. ML.NET's model format can only load Microsoft's
/// own transformers (its loader registry is internal), so a pipeline is stored as one zip holding: the input schema
/// and each run of standard ML.NET transformers as ordinary ML.NET models (e.g. a trained linear probe), each
/// CLaMP 3 transform as its options (JSON), and the weights — included or referenced by path, size and SHA-256.
/// Loading rebuilds the same chain; a missing weight file is a clear error that says where it was looked for.
/// </summary>
public static class Clamp3ModelFile
{
    private const string Format = "clamp3-mlnet-pipeline/1";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(MLContext context, ITransformer model, DataViewSchema inputSchema, string path, Clamp3SaveOptions? options = null)
    {
        options ??= new Clamp3SaveOptions();
        var transformers = Flatten(model).ToList();
        using (var file = AtomicFile.Create(path))
        {
            using (var zip = new ZipArchive(file.Stream, ZipArchiveMode.Create, leaveOpen: true))
            {
                var manifest = new JsonObject { ["format"] = Format };
                var files = new Dictionary<string, JsonObject>(); // full path → file record, shared by transforms
                var segments = new JsonArray();
                WriteMlNet(context, zip, "input-schema.zip", new TransformerChain<ITransformer>(), inputSchema);
                var schema = inputSchema;
                var run = new List<ITransformer>();
                void FlushRun()
                {
                    if (run.Count == 0) return;
                    string entry = $"segment-{segments.Count}.zip";
                    var chain = new TransformerChain<ITransformer>(run.ToArray());
                    WriteMlNet(context, zip, entry, chain, schema);
                    segments.Add(new JsonObject { ["kind"] = "mlnet", ["entry"] = entry });
                    schema = chain.GetOutputSchema(schema);
                    run.Clear();
                }
                foreach (var transformer in transformers)
                {
                    switch (transformer)
                    {
                        case Clamp3FeaturizerTransformer featurizer:
                            FlushRun();
                            segments.Add(new JsonObject
                            {
                                ["kind"] = "featurizer",
                                ["options"] = OptionsToJson(featurizer.Options, zip, files, options.IncludeWeights),
                            });
                            schema = featurizer.GetOutputSchema(schema);
                            break;
                        case Clamp3ZeroShotTransformer zeroShot:
                            FlushRun();
                            var zeroShotJson = JsonSerializer.SerializeToNode(new
                            {
                                zeroShot.Options.Labels,
                                zeroShot.Options.LabelDescriptions,
                                zeroShot.Options.ScoreColumnName,
                                zeroShot.Options.PredictedLabelColumnName,
                            })!.AsObject();
                            zeroShotJson["music"] = OptionsToJson(zeroShot.Options.Music, zip, files, options.IncludeWeights);
                            segments.Add(new JsonObject { ["kind"] = "zeroshot", ["options"] = zeroShotJson });
                            schema = zeroShot.GetOutputSchema(schema);
                            break;
                        case Clamp3ConversionTransformer conversion:
                            FlushRun();
                            segments.Add(new JsonObject
                            {
                                ["kind"] = "conversion",
                                ["options"] = PathsToRecords(JsonSerializer.SerializeToNode(conversion.Options)!.AsObject(), ConversionPaths, zip, files, options.IncludeWeights),
                            });
                            schema = conversion.GetOutputSchema(schema);
                            break;
                        case BatchedTransformer other:
                            throw new NotSupportedException($"{other.GetType().Name} cannot be saved yet.");
                        default:
                            run.Add(transformer);
                            break;
                    }
                }
                FlushRun();
                manifest["segments"] = segments;
                manifest["files"] = new JsonObject(files.Values.Select(f => KeyValuePair.Create((string)f["id"]!, (JsonNode?)f.DeepClone())));
                var manifestEntry = zip.CreateEntry("clamp3-pipeline.json");
                using var writer = new StreamWriter(manifestEntry.Open());
                writer.Write(manifest.ToJsonString(Json));
            }
            file.Commit();
        }
    }

    /// <exception cref="InvalidDataException">The file is not a readable pipeline; the message names it and the reason.</exception>
    public static ITransformer Load(MLContext context, string path, out DataViewSchema inputSchema, Clamp3LoadOptions? options = null)
    {
        try
        {
            return LoadPipeline(context, path, out inputSchema, options);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidCastException or KeyNotFoundException
                                       or InvalidOperationException or FormatException)
        {
            // The manifest is not trusted: broken JSON, a missing field or a field of the wrong kind is a bad file, not a crash.
            string reason = e is NullReferenceException or InvalidCastException or KeyNotFoundException
                ? $"a required field is missing or has the wrong type ({e.GetType().Name})"
                : e.Message;
            throw new InvalidDataException(reason.Contains(path, StringComparison.Ordinal) ? reason : $"{path}: malformed clamp3-pipeline.json: {reason}", e);
        }
    }

    private static ITransformer LoadPipeline(MLContext context, string path, out DataViewSchema inputSchema, Clamp3LoadOptions? options)
    {
        options ??= new Clamp3LoadOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file not found: {path}", path);
        using var zip = OpenZip(path);
        var manifestEntry = zip.GetEntry("clamp3-pipeline.json")
            ?? throw new InvalidDataException($"{path}: not a ClaMP3.ML pipeline (no clamp3-pipeline.json). A plain ML.NET model loads with mlContext.Model.Load.");
        JsonObject manifest;
        using (var reader = new StreamReader(manifestEntry.Open())) manifest = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        if ((string?)manifest["format"] != Format)
            throw new InvalidDataException($"{path}: unsupported pipeline format '{manifest["format"]}' (this version reads {Format}).");
        var files = manifest["files"]!.AsObject();
        inputSchema = ReadMlNet(context, zip, "input-schema.zip", path, out _);
        var transformers = new List<ITransformer>();
        foreach (var segment in manifest["segments"]!.AsArray())
        {
            switch ((string?)segment!["kind"])
            {
                case "mlnet":
                    ReadMlNet(context, zip, (string)segment["entry"]!, path, out var loaded);
                    transformers.Add(loaded);
                    break;
                case "featurizer":
                    transformers.Add(Clamp3FeaturizerTransformer.Create(OptionsFromJson(segment["options"]!.AsObject(), zip, files, path, options)));
                    break;
                case "zeroshot":
                    var json = segment["options"]!.AsObject();
                    transformers.Add(Clamp3ZeroShotTransformer.Create(new Clamp3ZeroShotOptions
                    {
                        Music = OptionsFromJson(json["music"]!.AsObject(), zip, files, path, options),
                        Labels = json["Labels"]!.AsArray().Select(n => (string)n!).ToArray(),
                        LabelDescriptions = json["LabelDescriptions"]?.AsArray().Select(n => (string)n!).ToArray(),
                        ScoreColumnName = (string)json["ScoreColumnName"]!,
                        PredictedLabelColumnName = (string)json["PredictedLabelColumnName"]!,
                    }));
                    break;
                case "conversion":
                    var conversion = RecordsToPaths(segment["options"]!.AsObject(), ConversionPaths, zip, files, path, options)
                        .Deserialize<Clamp3ConversionOptions>()!;
                    if (options.Device != null) conversion.Device = options.Device;
                    transformers.Add(Clamp3ConversionTransformer.Create(conversion));
                    break;
                default:
                    throw new InvalidDataException($"{path}: unknown pipeline segment kind '{segment["kind"]}'.");
            }
        }
        return new TransformerChain<ITransformer>(transformers.ToArray());
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
                foreach (var t in Flatten(inner)) yield return t;
        }
        else
        {
            yield return model;
        }
    }

    private static ZipArchive OpenZip(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a ClaMP3.ML pipeline file (not a zip: {e.Message}).", e);
        }
    }

    private static void WriteMlNet(MLContext context, ZipArchive zip, string entryName, ITransformer model, DataViewSchema schema)
    {
        using var buffer = new MemoryStream();
        context.Model.Save(model, schema, buffer);
        using var entry = zip.CreateEntry(entryName, CompressionLevel.NoCompression).Open(); // already a zip
        buffer.Position = 0;
        buffer.CopyTo(entry);
    }

    private static DataViewSchema ReadMlNet(MLContext context, ZipArchive zip, string entryName, string path, out ITransformer model)
    {
        var entry = zip.GetEntry(entryName) ?? throw new InvalidDataException($"{path}: entry '{entryName}' is missing.");
        using var buffer = new MemoryStream();
        using (var stream = entry.Open()) stream.CopyTo(buffer);
        buffer.Position = 0;
        model = context.Model.Load(buffer, out var schema);
        return schema;
    }

    // ---- weights: included entries or references ----

    private static readonly (string Property, bool IsDirectory)[] FeaturizerPaths =
        { ("CheckpointPath", false), ("TokenizerPath", false), ("ConfigPath", false), ("MertModelPath", true) };
    private static readonly (string Property, bool IsDirectory)[] ConversionPaths = { ("MertModelPath", true) };

    private static JsonObject OptionsToJson(Clamp3FeaturizerOptions options, ZipArchive zip, Dictionary<string, JsonObject> files, bool include) =>
        PathsToRecords(JsonSerializer.SerializeToNode(options)!.AsObject(), FeaturizerPaths, zip, files, include);

    /// <summary>Replaces the path properties of serialized options by ids of file records (included or referenced).</summary>
    private static JsonObject PathsToRecords(JsonObject json, (string Property, bool IsDirectory)[] paths, ZipArchive zip,
        Dictionary<string, JsonObject> files, bool include)
    {
        foreach (var (property, isDirectory) in paths)
        {
            string? value = (string?)json[property];
            json[property] = string.IsNullOrEmpty(value) ? null : FileRecord(value!, isDirectory, zip, files, include);
        }
        return json;
    }

    private static JsonObject RecordsToPaths(JsonObject json, (string Property, bool IsDirectory)[] paths, ZipArchive zip, JsonObject files,
        string modelPath, Clamp3LoadOptions load)
    {
        json = json.DeepClone().AsObject();
        foreach (var (property, _) in paths)
        {
            string? id = (string?)json[property];
            if (id == null) continue;
            var record = files[id]?.AsObject() ?? throw new InvalidDataException($"{modelPath}: file record '{id}' is missing.");
            json[property] = Resolve(record, zip, modelPath, load);
        }
        return json;
    }

    /// <summary>Records a weight file (or a MERT folder) once and returns its id.</summary>
    private static string FileRecord(string path, bool isDirectory, ZipArchive zip, Dictionary<string, JsonObject> files, bool include)
    {
        string full = Path.GetFullPath(path);
        if (files.TryGetValue(full, out var existing)) return (string)existing["id"]!;
        string id = $"file{files.Count}";
        var members = isDirectory
            ? Directory.Exists(full) ? Directory.GetFiles(full).OrderBy(f => f, StringComparer.Ordinal).ToArray()
                : throw new DirectoryNotFoundException($"MERT model folder not found: {full}")
            : File.Exists(full) ? new[] { full } : throw new FileNotFoundException($"Model file not found: {full}", full);
        var list = new JsonArray();
        foreach (var file in members)
        {
            var record = new JsonObject
            {
                ["name"] = Path.GetFileName(file),
                ["size"] = new FileInfo(file).Length,
                ["sha256"] = Sha256(file),
            };
            if (include)
            {
                string entryName = $"weights/{id}/{Path.GetFileName(file)}";
                zip.CreateEntryFromFile(file, entryName, CompressionLevel.NoCompression);
                record["entry"] = entryName;
            }
            list.Add(record);
        }
        var fileRecord = new JsonObject { ["id"] = id, ["originalPath"] = full, ["isDirectory"] = isDirectory, ["members"] = list };
        files[full] = fileRecord;
        return id;
    }

    private static Clamp3FeaturizerOptions OptionsFromJson(JsonObject json, ZipArchive zip, JsonObject files, string modelPath, Clamp3LoadOptions load)
    {
        var options = RecordsToPaths(json, FeaturizerPaths, zip, files, modelPath, load).Deserialize<Clamp3FeaturizerOptions>()!;
        if (load.Device != null) options.Device = load.Device;
        return options;
    }

    private static string Resolve(JsonObject record, ZipArchive zip, string modelPath, Clamp3LoadOptions load)
    {
        bool isDirectory = (bool)record["isDirectory"]!;
        string original = (string)record["originalPath"]!;
        var members = record["members"]!.AsArray().Select(m => m!.AsObject()).ToList();
        if (members.All(m => m["entry"] != null))
        {
            // Included: unpack once into a folder named after the contents' hashes, then reuse it.
            string hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
                string.Join("|", members.Select(m => (string)m["sha256"]!))))).ToLowerInvariant()[..16];
            string folder = Path.Combine(load.ExtractDirectory ?? Path.Combine(Path.GetTempPath(), "clamp3-models"), hash);
            Directory.CreateDirectory(folder);
            foreach (var member in members)
            {
                string target = Path.Combine(folder, (string)member["name"]!);
                if (File.Exists(target) && new FileInfo(target).Length == (long)member["size"]!) continue;
                using (var entry = zip.GetEntry((string)member["entry"]!)!.Open())
                    AtomicFile.Write(target, entry.CopyTo);
            }
            return isDirectory ? folder : Path.Combine(folder, (string)members[0]["name"]!);
        }
        var candidates = new List<string> { original };
        if (load.WeightsDirectory != null)
            candidates.Add(Path.Combine(load.WeightsDirectory, Path.GetFileName(original.TrimEnd(Path.DirectorySeparatorChar))));
        foreach (var candidate in candidates)
        {
            if (Matches(candidate, isDirectory, members, load.VerifyChecksums, out _)) return candidate;
        }
        var reasons = candidates.Select(c => { Matches(c, isDirectory, members, load.VerifyChecksums, out var why); return $"{c}: {why}"; });
        throw new FileNotFoundException(
            $"{modelPath}: the pipeline needs '{Path.GetFileName(original)}' ({(isDirectory ? "a MERT folder" : $"{(long)members[0]["size"]!} bytes")}), " +
            $"which was not included in the model file. Looked at: {string.Join("; ", reasons)}. " +
            "Pass Clamp3LoadOptions.WeightsDirectory, or save with Clamp3SaveOptions.IncludeWeights = true.", original);
    }

    private static bool Matches(string path, bool isDirectory, List<JsonObject> members, bool verify, out string why)
    {
        foreach (var member in members)
        {
            string file = isDirectory ? Path.Combine(path, (string)member["name"]!) : path;
            if (!File.Exists(file)) { why = $"{Path.GetFileName(file)} not found"; return false; }
            long size = new FileInfo(file).Length;
            if (size != (long)member["size"]!) { why = $"size {size} instead of {(long)member["size"]!}"; return false; }
            if (verify && Sha256(file) != (string)member["sha256"]!) { why = "SHA-256 differs"; return false; }
        }
        why = "ok";
        return true;
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}

/// <summary><c>mlContext.Model.SaveClamp3</c> / <c>LoadClamp3</c>: the <see cref="Clamp3ModelFile"/> format.</summary>
public static class Clamp3ModelOperations
{
    public static void SaveClamp3(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string path,
        Clamp3SaveOptions? options = null) =>
        Clamp3ModelFile.Save(GetContext(catalog), model, inputSchema, path, options);

    public static ITransformer LoadClamp3(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema,
        Clamp3LoadOptions? options = null) =>
        Clamp3ModelFile.Load(GetContext(catalog), path, out inputSchema, options);

    // ModelOperationsCatalog does not expose its MLContext; a fresh one saves and loads standard ML.NET transformers
    // identically (they carry no context state).
    private static MLContext GetContext(ModelOperationsCatalog catalog) => new();
}
