using System.Text.RegularExpressions;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>What a build did: rows written and the inputs skipped (each with the reason, naming the file).</summary>
public sealed record VectorIndexBuildReport(int Rows, int Dimension, IReadOnlyList<string> Skipped, int Shards);

/// <summary>
/// Builds an index file from what <c>clamp3 embed --global</c> writes: a folder of <c>.npy</c> global features
/// (keys as <see cref="FeatureFolder"/>: relative folder + "/" + file name up to its first dot), or the shard files of
/// a sharded run (<c>shard-I-of-N.c3index</c>, given as files or as the folder holding them), merged. Rows are always
/// in ordinal key order, so a merged sharded run and a single-process run give the same file.
/// </summary>
public static partial class VectorIndexBuilder
{
    public const string ShardExtension = ".c3index";

    [GeneratedRegex(@"^shard-(\d+)-of-(\d+)\.c3index$")]
    private static partial Regex ShardName();

    /// <summary>The file name of shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static string ShardFileName(int index, int count) => $"shard-{index}-of-{count}{ShardExtension}";

    /// <summary>The key of a feature file: relative folder + "/" + file name up to its first dot (as <see cref="FeatureFolder"/>).</summary>
    public static string FeatureKey(string root, string file)
    {
        string relativeDir = Path.GetRelativePath(root, Path.GetDirectoryName(Path.GetFullPath(file))!).Replace('\\', '/');
        return (relativeDir == "." ? "" : relativeDir) + "/" + Path.GetFileName(file).Split('.')[0];
    }

    /// <summary>Writes the shard file of one task of a sharded <c>clamp3 embed --global</c> run: the global features
    /// <paramref name="featureFiles"/> (below <paramref name="featuresRoot"/>) in key order, atomically. Any unreadable
    /// file fails the whole shard, so a shard file exists only for a task that finished every item.</summary>
    public static int WriteShard(string featuresRoot, IEnumerable<string> featureFiles, int dimension, string shardPath)
    {
        string root = Path.GetFullPath(featuresRoot);
        var files = featureFiles.Select(f => (Key: FeatureKey(root, f), Path: f)).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
        using var writer = new VectorIndexWriter(shardPath, dimension);
        foreach (var (key, path) in files)
        {
            var vector = FeatureFolder.ReadVector(path);
            if (vector.Length != dimension) throw new InvalidDataException($"{path}: {vector.Length} dimensions, expected {dimension}.");
            writer.Add(key, vector);
        }
        writer.Complete();
        return writer.Count;
    }

    public static VectorIndexBuildReport Build(IReadOnlyList<string> inputs, string output, HnswBuildOptions? graph = null,
        VectorElement element = VectorElement.Float32, TextWriter? log = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("Give a features folder or shard files.");
        var shardFiles = new List<string>();
        var folders = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var shards = Directory.EnumerateFiles(input).Where(f => ShardName().IsMatch(Path.GetFileName(f))).ToList();
                if (shards.Count > 0) shardFiles.AddRange(shards); else folders.Add(input);
            }
            else if (VectorIndexHeader.HasMagic(input)) shardFiles.Add(input);
            else if (File.Exists(input)) throw new InvalidDataException($"{input}: neither a features folder nor a vector index / shard file.");
            else throw new DirectoryNotFoundException($"{input}: not found.");
        }
        if (shardFiles.Count > 0 && folders.Count > 0) throw new ArgumentException("Give either feature folders or shard files, not both.");
        return shardFiles.Count > 0 ? MergeShards(shardFiles, output, graph, log) : FromFolders(folders, output, graph, element, log);
    }

    private static VectorIndexBuildReport FromFolders(IReadOnlyList<string> folders, string output, HnswBuildOptions? graph,
        VectorElement element, TextWriter? log)
    {
        var files = new List<(string Key, string Path)>();
        foreach (var folder in folders)
            foreach (var file in Directory.EnumerateFiles(folder, "*.npy", SearchOption.AllDirectories))
                files.Add((FeatureKey(Path.GetFullPath(folder), file), file));
        files.Sort((a, b) => a.Key != b.Key ? string.CompareOrdinal(a.Key, b.Key) : string.CompareOrdinal(a.Path, b.Path));
        if (files.Count == 0) throw new InvalidDataException($"No .npy files in {string.Join(", ", folders)}.");
        var skipped = new List<string>();
        VectorIndexWriter? writer = null;
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                var (key, path) = files[i];
                if (i > 0 && files[i - 1].Key == key) { Skip(skipped, log, $"{path}: key '{key}' also names {files[i - 1].Path}; kept the first."); continue; }
                float[] vector;
                try { vector = FeatureFolder.ReadVector(path); }
                catch (Exception e) when (e is InvalidDataException or IOException or FormatException) { Skip(skipped, log, e.Message); continue; }
                writer ??= new VectorIndexWriter(output, vector.Length, element);
                try { writer.Add(key, vector); }
                catch (InvalidDataException e) { Skip(skipped, log, $"{path}: {e.Message}"); }
            }
            if (writer is null) throw new InvalidDataException($"No readable feature files in {string.Join(", ", folders)}.");
            writer.Complete(graph);
            return new VectorIndexBuildReport(writer.Count, writer.Dimension, skipped, 0);
        }
        finally { writer?.Dispose(); }
    }

    private static void Skip(List<string> skipped, TextWriter? log, string message)
    {
        skipped.Add(message);
        log?.WriteLine("skipped: " + message);
    }

    /// <summary>Merges a complete set of shards (all N of one run, same dimension and element type) in key order.</summary>
    private static VectorIndexBuildReport MergeShards(List<string> files, string output, HnswBuildOptions? graph, TextWriter? log)
    {
        var shards = new List<VectorIndex>();
        try
        {
            var byNumber = new SortedDictionary<int, string>();
            int total = -1;
            foreach (var file in files.Distinct().OrderBy(f => f, StringComparer.Ordinal))
            {
                var match = ShardName().Match(Path.GetFileName(file));
                if (!match.Success) throw new InvalidDataException($"{file}: a shard file must be named shard-I-of-N{ShardExtension}.");
                int i = int.Parse(match.Groups[1].Value), n = int.Parse(match.Groups[2].Value);
                if (total >= 0 && n != total) throw new InvalidDataException($"{file}: shard of a {n}-way run, the others are of a {total}-way run.");
                total = n;
                if (!byNumber.TryAdd(i, file)) throw new InvalidDataException($"{file}: shard {i} given twice ({byNumber[i]}).");
            }
            var missing = Enumerable.Range(0, total).Where(i => !byNumber.ContainsKey(i)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"shards {string.Join(", ", missing.Select(i => $"{i}/{total}"))} missing (their tasks failed or have not finished): {ShardFileName(missing[0], total)} not found beside {byNumber.Values.First()}.");
            foreach (var file in byNumber.Values)
            {
                var shard = VectorIndex.Open(file, shards.Count > 0 ? shards[0].Dimension : null);
                if (shards.Count > 0 && shard.Header.Element != shards[0].Header.Element)
                    throw new InvalidDataException($"{file}: {shard.Header.Element} rows, {shards[0].Path} has {shards[0].Header.Element}.");
                shards.Add(shard);
            }
            var rows = new List<(string Key, int Shard, int Row)>();
            for (int s = 0; s < shards.Count; s++)
                for (int r = 0; r < shards[s].Count; r++) rows.Add((shards[s].Keys[r], s, r));
            rows.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            for (int i = 1; i < rows.Count; i++)
                if (rows[i].Key == rows[i - 1].Key)
                    throw new InvalidDataException($"key '{rows[i].Key}' is in both {shards[rows[i - 1].Shard].Path} and {shards[rows[i].Shard].Path}.");
            using var writer = new VectorIndexWriter(output, shards[0].Dimension, shards[0].Header.Element);
            foreach (var (key, s, r) in rows) writer.AddUnit(key, shards[s].GetVector(r));
            writer.Complete(graph);
            log?.WriteLine($"merged {shards.Count} shards");
            return new VectorIndexBuildReport(writer.Count, writer.Dimension, Array.Empty<string>(), shards.Count);
        }
        finally { foreach (var s in shards) s.Dispose(); }
    }
}
