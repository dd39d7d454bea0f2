using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaMP3.ML.IO;
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
    /// <summary>Where included weights are unpacked (default: <see cref="Clamp3ModelFile.DefaultExtractDirectory"/>, a
    /// per-user cache folder private to the user; one subfolder per content hash, reused across loads only after each
    /// file's SHA-256 is checked again).</summary>
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
        var archive = new Archive(zip, path, new FileInfo(path).Length);
        var manifestEntry = zip.GetEntry("clamp3-pipeline.json")
            ?? throw new InvalidDataException($"{path}: not a ClaMP3.ML pipeline (no clamp3-pipeline.json). A plain ML.NET model loads with mlContext.Model.Load.");
        // Broken JSON or a value of the wrong kind surfaces as JsonException / InvalidOperationException, which Load reports.
        var manifest = JsonNode.Parse(SafeArchive.ReadAll(manifestEntry, archive.Length, MaxManifestBytes, path)) as JsonObject
            ?? throw new InvalidDataException($"{path}: clamp3-pipeline.json is not a JSON object.");
        return LoadManifest(context, manifest, archive, options, out inputSchema);
    }

    private static ITransformer LoadManifest(MLContext context, JsonObject manifest, Archive archive, Clamp3LoadOptions options, out DataViewSchema inputSchema)
    {
        string path = archive.Path;
        if ((string?)manifest["format"] != Format)
            throw new InvalidDataException($"{path}: unsupported pipeline format '{manifest["format"]}' (this version reads {Format}).");
        var files = Need(manifest, "files", path).AsObject();
        inputSchema = ReadMlNet(context, archive, "input-schema.zip", out _);
        var transformers = new List<ITransformer>();
        foreach (var node in Need(manifest, "segments", path).AsArray())
        {
            var segment = node as JsonObject ?? throw new InvalidDataException($"{path}: a pipeline segment is not a JSON object.");
            switch ((string?)segment["kind"])
            {
                case "mlnet":
                    ReadMlNet(context, archive, Need(segment, "entry", path).GetValue<string>(), out var loaded);
                    transformers.Add(loaded);
                    break;
                case "featurizer":
                    transformers.Add(Clamp3FeaturizerTransformer.Create(OptionsFromJson(Need(segment, "options", path).AsObject(), archive, files, options)));
                    break;
                case "zeroshot":
                    var json = Need(segment, "options", path).AsObject();
                    transformers.Add(Clamp3ZeroShotTransformer.Create(new Clamp3ZeroShotOptions
                    {
                        Music = OptionsFromJson(Need(json, "music", path).AsObject(), archive, files, options),
                        Labels = Need(json, "Labels", path).AsArray().Select(n => n?.GetValue<string>() ?? throw new InvalidDataException($"{path}: a zero-shot label is null.")).ToArray(),
                        LabelDescriptions = json["LabelDescriptions"]?.AsArray().Select(n => (string)n!).ToArray(),
                        ScoreColumnName = Need(json, "ScoreColumnName", path).GetValue<string>(),
                        PredictedLabelColumnName = Need(json, "PredictedLabelColumnName", path).GetValue<string>(),
                    }));
                    break;
                case "conversion":
                    var conversion = RecordsToPaths(Need(segment, "options", path).AsObject(), ConversionPaths, archive, files, options)
                        .Deserialize<Clamp3ConversionOptions>()
                        ?? throw new InvalidDataException($"{path}: a conversion segment has no options.");
                    if (options.Device != null) conversion.Device = options.Device;
                    transformers.Add(Clamp3ConversionTransformer.Create(conversion));
                    break;
                default:
                    throw new InvalidDataException($"{path}: unknown pipeline segment kind '{segment["kind"]}'.");
            }
        }
        return new TransformerChain<ITransformer>(transformers.ToArray());
    }

    /// <summary>The pipeline zip being loaded, with what bounds reads from it.</summary>
    private sealed record Archive(ZipArchive Zip, string Path, long Length);

    private const long MaxManifestBytes = 16L << 20;
    private const long MaxMlNetEntryBytes = 1L << 30;

    private static JsonNode Need(JsonObject json, string property, string path) =>
        json[property] ?? throw new InvalidDataException($"{path}: clamp3-pipeline.json lacks '{property}'.");

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

    private static DataViewSchema ReadMlNet(MLContext context, Archive archive, string entryName, out ITransformer model)
    {
        var entry = archive.Zip.GetEntry(entryName) ?? throw new InvalidDataException($"{archive.Path}: entry '{entryName}' is missing.");
        using var buffer = new MemoryStream(SafeArchive.ReadAll(entry, archive.Length, MaxMlNetEntryBytes, archive.Path), writable: false);
        try
        {
            model = context.Model.Load(buffer, out var schema);
            return schema;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{archive.Path}: entry '{entryName}' is not a loadable ML.NET model: {e.Message}", e);
        }
    }

    // ---- weights: included entries or references ----

    private static readonly (string Property, bool IsDirectory)[] FeaturizerPaths =
        { ("CheckpointPath", false), ("TokenizerPath", false), ("ConfigPath", false), ("MertModelPath", true) };
    private static readonly (string Property, bool IsDirectory)[] ConversionPaths = { ("MertModelPath", true) };

    private static JsonObject OptionsToJson(Clamp3FeaturizerOptions options, ZipArchive zip, Dictionary<string, JsonObject> files, bool include)
    {
        var json = JsonSerializer.SerializeToNode(options)!.AsObject();
        // A config.json found beside the checkpoint is part of the model (it may not be the official size): record it,
        // or a reloaded pipeline whose checkpoint was unpacked elsewhere would infer a different configuration.
        if (string.IsNullOrEmpty(options.ConfigPath) && !string.IsNullOrEmpty(options.CheckpointPath)
            && Loading.Clamp3ConfigResolver.FindSiblingConfig(options.CheckpointPath) is { } sibling)
            json["ConfigPath"] = sibling;
        return PathsToRecords(json, FeaturizerPaths, zip, files, include);
    }

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

    private static JsonObject RecordsToPaths(JsonObject json, (string Property, bool IsDirectory)[] paths, Archive archive, JsonObject files,
        Clamp3LoadOptions load)
    {
        json = json.DeepClone().AsObject();
        foreach (var (property, _) in paths)
        {
            string? id = (string?)json[property];
            if (id == null) continue;
            var record = files[id] as JsonObject ?? throw new InvalidDataException($"{archive.Path}: file record '{id}' is missing.");
            json[property] = Resolve(record, archive, load);
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
            var record = new JsonObject { ["name"] = Path.GetFileName(file) };
            if (include)
            {
                // Hashed while it is copied in: a 1.8 GB checkpoint is read once.
                string entryName = $"weights/{id}/{Path.GetFileName(file)}";
                var (size, sha256) = SafeArchive.AddEntryHashed(zip, file, entryName);
                record["size"] = size;
                record["sha256"] = sha256;
                record["entry"] = entryName;
            }
            else
            {
                record["size"] = new FileInfo(file).Length;
                record["sha256"] = SafeArchive.Sha256(file);
            }
            list.Add(record);
        }
        var fileRecord = new JsonObject { ["id"] = id, ["originalPath"] = full, ["isDirectory"] = isDirectory, ["members"] = list };
        files[full] = fileRecord;
        return id;
    }

    private static Clamp3FeaturizerOptions OptionsFromJson(JsonObject json, Archive archive, JsonObject files, Clamp3LoadOptions load)
    {
        var options = RecordsToPaths(json, FeaturizerPaths, archive, files, load).Deserialize<Clamp3FeaturizerOptions>()
            ?? throw new InvalidDataException($"{archive.Path}: a featurizer segment has no options.");
        if (load.Device != null) options.Device = load.Device;
        return options;
    }

    /// <summary>One file of a record, as read from the manifest and checked: a plain name, a size, a SHA-256.</summary>
    private sealed record Member(string Name, long Size, string Sha256, string? Entry);

    private static List<Member> ReadMembers(JsonObject record, string path)
    {
        var members = new List<Member>();
        foreach (var node in Need(record, "members", path).AsArray())
        {
            var m = node as JsonObject ?? throw new InvalidDataException($"{path}: a file record member is not a JSON object.");
            string name = Need(m, "name", path).GetValue<string>();
            SafeArchive.RequirePlainName(name, path);
            long size = Need(m, "size", path).GetValue<long>();
            string sha = Need(m, "sha256", path).GetValue<string>();
            if (size < 0 || !SafeArchive.IsSha256(sha))
                throw new InvalidDataException($"{path}: file record member '{name}' has an invalid size ({size}) or SHA-256.");
            members.Add(new Member(name, size, sha.ToLowerInvariant(), (string?)m["entry"]));
        }
        if (members.Count == 0) throw new InvalidDataException($"{path}: a file record lists no members.");
        return members;
    }

    private static string Resolve(JsonObject record, Archive archive, Clamp3LoadOptions load)
    {
        string modelPath = archive.Path;
        bool isDirectory = Need(record, "isDirectory", modelPath).GetValue<bool>();
        string original = Need(record, "originalPath", modelPath).GetValue<string>();
        var members = ReadMembers(record, modelPath);
        if (!isDirectory && members.Count != 1) throw new InvalidDataException($"{modelPath}: a file record of one file lists {members.Count} members.");
        if (members.All(m => m.Entry != null)) return Extract(members, isDirectory, archive, load);
        var candidates = new List<string> { original };
        if (load.WeightsDirectory != null)
            candidates.Add(Path.Combine(load.WeightsDirectory, Path.GetFileName(original.TrimEnd(Path.DirectorySeparatorChar))));
        foreach (var candidate in candidates)
        {
            if (Matches(candidate, isDirectory, members, load.VerifyChecksums, out _)) return candidate;
        }
        var reasons = candidates.Select(c => { Matches(c, isDirectory, members, load.VerifyChecksums, out var why); return $"{c}: {why}"; });
        throw new FileNotFoundException(
            $"{modelPath}: the pipeline needs '{Path.GetFileName(original)}' ({(isDirectory ? "a MERT folder" : $"{members[0].Size} bytes")}), " +
            $"which was not included in the model file. Looked at: {string.Join("; ", reasons)}. " +
            "Pass Clamp3LoadOptions.WeightsDirectory, or save with Clamp3SaveOptions.IncludeWeights = true.", original);
    }

    /// <summary>
    /// Included files: unpacked into a folder named after the contents' hashes (per-user, private, reused across loads).
    /// A file already there is reused only when its SHA-256 matches the record; otherwise it is extracted again, and
    /// every extracted file is checked against its SHA-256 before it is renamed into place.
    /// </summary>
    private static string Extract(List<Member> members, bool isDirectory, Archive archive, Clamp3LoadOptions load)
    {
        string hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join("|", members.Select(m => m.Sha256))))).ToLowerInvariant()[..16];
        string root = load.ExtractDirectory is { } chosen ? Directory.CreateDirectory(chosen).FullName : DefaultCacheRoot();
        string folder = Path.Combine(root, hash);
        Directory.CreateDirectory(folder);
        foreach (var member in members)
        {
            string target = SafeArchive.ContainedPath(folder, member.Name, archive.Path);
            if (File.Exists(target) && new FileInfo(target).Length == member.Size && SafeArchive.Sha256(target) == member.Sha256) continue;
            var entry = archive.Zip.GetEntry(member.Entry!)
                ?? throw new InvalidDataException($"{archive.Path}: entry '{member.Entry}' is missing (truncated or edited model file?).");
            SafeArchive.ExtractVerified(entry, target, member.Size, member.Sha256, archive.Length, archive.Path);
        }
        return isDirectory ? folder : Path.Combine(folder, members[0].Name);
    }

    /// <summary>The default cache, created private; a per-user folder in the temp folder when the home folder is not writable.</summary>
    private static string DefaultCacheRoot()
    {
        try
        {
            return SafeArchive.CreatePrivateDirectory(DefaultExtractDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Made private on creation; one that exists and cannot be made private (another user's) is an error.
            return SafeArchive.CreatePrivateDirectory(Path.Combine(Path.GetTempPath(), $"clamp3-models-{Environment.UserName}"));
        }
    }

    /// <summary>The default <see cref="Clamp3LoadOptions.ExtractDirectory"/>: <c>clamp3/models</c> in the user's cache folder
    /// (<c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>; LocalApplicationData on Windows), created private to the user.</summary>
    public static string DefaultExtractDirectory
    {
        get
        {
            string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
            {
                string home = Environment.GetFolderPath(OperatingSystem.IsWindows()
                    ? Environment.SpecialFolder.LocalApplicationData : Environment.SpecialFolder.UserProfile);
                cache = string.IsNullOrEmpty(home) ? null : OperatingSystem.IsWindows() ? home : Path.Combine(home, ".cache");
            }
            // No home folder (a service account): a per-user folder in the temp folder, made private on creation.
            return cache is null
                ? Path.Combine(Path.GetTempPath(), $"clamp3-models-{Environment.UserName}")
                : Path.Combine(cache, "clamp3", "models");
        }
    }

    private static bool Matches(string path, bool isDirectory, List<Member> members, bool verify, out string why)
    {
        foreach (var member in members)
        {
            string file = isDirectory ? SafeArchive.ContainedPath(path, member.Name, path) : path;
            if (!File.Exists(file)) { why = $"{Path.GetFileName(file)} not found"; return false; }
            long size = new FileInfo(file).Length;
            if (size != member.Size) { why = $"size {size} instead of {member.Size}"; return false; }
            if (verify && SafeArchive.Sha256(file) != member.Sha256) { why = "SHA-256 differs"; return false; }
        }
        why = "ok";
        return true;
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
