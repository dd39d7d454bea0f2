using ClaMP3.ML.IO;

namespace ClaMP3.ML.Retrieval;

/// <summary>One global feature file of a folder (what <c>clamp3 embed --global</c> writes).</summary>
/// <param name="Key">Relative folder + "/" + file name up to its first dot, as the official scripts key files.</param>
public sealed record FeatureFile(string Key, string Path, float[] Vector);

/// <summary>Reads folders of <c>.npy</c> global features the way the official inference scripts do.</summary>
public static class FeatureFolder
{
    /// <summary>Every <c>.npy</c> below <paramref name="folder"/> (recursively), in ordinal path order. Arrays are
    /// squeezed as numpy's <c>squeeze()</c> does and must then be vectors: sequence features are rejected with the file name.</summary>
    public static IReadOnlyList<FeatureFile> Load(string folder, bool recursive = true)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Feature folder not found: {folder}");
        var files = Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => f.EndsWith(".npy", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal);
        var result = new List<FeatureFile>();
        foreach (var file in files)
        {
            string relativeDir = Path.GetRelativePath(folder, Path.GetDirectoryName(file)!).Replace('\\', '/');
            string name = Path.GetFileName(file);
            string key = (relativeDir == "." ? "" : relativeDir) + "/" + name.Split('.')[0];
            result.Add(new FeatureFile(key, file, ReadVector(file)));
        }
        return result;
    }

    /// <exception cref="InvalidDataException">Not a vector, or a NaN/infinite value (it would rank as garbage).</exception>
    public static float[] ReadVector(string file)
    {
        var array = NpyFile.Read(file);
        if (array.Shape.Count(d => d != 1) > 1)
            throw new InvalidDataException($"{file}: shape ({string.Join(", ", array.Shape)}) is not a global feature vector; embed with --global.");
        return array.ToFiniteFloat32(file);
    }
}
