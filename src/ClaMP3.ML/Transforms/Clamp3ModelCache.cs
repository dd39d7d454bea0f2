using System.Collections.Concurrent;
using ClaMP3.ML.Inference;

namespace ClaMP3.ML.Transforms;

/// <summary>
/// Loaded models shared by every transform of the process: a pipeline with a text and a score featurizer on the
/// same checkpoint holds its weights once, and loading a saved pipeline twice does not load them twice. Keyed by the
/// whole normalised <see cref="Clamp3EmbedderOptions"/> (the <see cref="Clamp3ModelSource"/>: full paths, device,
/// precision, ONNX folder and threads; and the batch size), so two transforms that differ in any of them never share an
/// embedder. Models live until <see cref="Clear"/>.
/// </summary>
public static class Clamp3ModelCache
{
    private static readonly ConcurrentDictionary<Clamp3ModelSource, Lazy<Clamp3Embedder>> Embedders = new();
    private static readonly ConcurrentDictionary<string, Lazy<MertExtractor>> MertExtractors = new();

    public static Clamp3Embedder GetEmbedder(Clamp3EmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = options.Normalized(); // record equality: every field, BatchSize and Precision included
        var lazy = Embedders.GetOrAdd(key, _ => new Lazy<Clamp3Embedder>(() => Clamp3Embedder.Load(options)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Embedders.TryRemove(key, out _); // a failed load (missing file) must not be cached
            throw;
        }
    }

    public static MertExtractor GetMertExtractor(string modelDirectory, string device)
    {
        string key = Full(modelDirectory) + "|" + device.Trim().ToLowerInvariant();
        var lazy = MertExtractors.GetOrAdd(key, _ => new Lazy<MertExtractor>(() => MertExtractor.Load(modelDirectory, device)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            MertExtractors.TryRemove(key, out _);
            throw;
        }
    }

    /// <summary>Disposes every cached model. Transformers created before keep working only if they are recreated.</summary>
    public static void Clear()
    {
        foreach (var lazy in Embedders.Values) if (lazy.IsValueCreated) lazy.Value.Dispose();
        foreach (var lazy in MertExtractors.Values) if (lazy.IsValueCreated) lazy.Value.Dispose();
        Embedders.Clear();
        MertExtractors.Clear();
    }

    private static string Full(string? path) => string.IsNullOrEmpty(path) ? "" : Path.GetFullPath(path);
}
