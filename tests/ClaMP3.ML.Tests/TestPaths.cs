namespace ClaMP3.ML.Tests;

/// <summary>Locates <c>../shared</c> (fixtures and the real-music corpus) from the repository root.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> RootDir = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClaMP3.ML.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Could not find ClaMP3.ML.sln above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<string> SharedDir = new(() =>
    {
        var shared = Path.GetFullPath(Path.Combine(RootDir.Value, "..", "shared"));
        return Directory.Exists(shared) ? shared
            : throw new DirectoryNotFoundException($"Expected the shared fixtures at {shared} (beside the repository).");
    });

    /// <summary>The repository root (the folder holding ClaMP3.ML.sln).</summary>
    public static string RepoRoot => RootDir.Value;
    public static string Shared => SharedDir.Value;
    public static string Fixtures => Path.Combine(Shared, "fixtures");
    public static string RealData => Path.Combine(Shared, "data", "real");
    public static string Fixture(params string[] parts) => Path.Combine(new[] { Fixtures }.Concat(parts).ToArray());

    /// <summary>A fresh temporary folder, removed by the caller's <c>using</c>.</summary>
    public static TempDir NewTempDir() => new();

    internal sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clamp3-tests-" + Guid.NewGuid().ToString("N"));
        public TempDir() => Directory.CreateDirectory(Path);
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}
