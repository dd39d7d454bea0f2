namespace ClaMP3.Cli.Bench;

/// <summary>A new temporary folder for a benchmark's files (<c>clamp3-bench-NAME-GUID</c>), deleted with everything in
/// it when disposed (best effort: a file still open leaves it behind).</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"clamp3-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
