using System.Text;

namespace ClaMP3.ML.IO;

/// <summary>The one way this library writes a file that someone may read while it is written, or that a resumed run
/// takes as finished: a temporary file in the same folder (so the rename stays on one file system) with a unique name,
/// flushed to disk, then renamed over the target. A crash leaves either the old file or the new one, never half of one;
/// the temporary files such a crash leaves are recognised by <see cref="TargetOfTemporary"/> and removed by
/// <see cref="FileBatch"/> on the next run.</summary>
/// <remarks>A writer that must go back over its file, reopen it or hand its path to native code, or keep it from other
/// users, says so with <see cref="AtomicFileOptions"/>; a companion file that native code writes to a path gets a
/// recognised temporary from <see cref="TemporaryPathFor"/> and is moved into place by <see cref="Commit"/>.</remarks>
public static class AtomicFile
{
    private const string TempSuffix = ".tmp";
    private const int IdLength = 32; // Guid "N" format

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which gets the temporary file's stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var writer = Create(path);
        write(writer.Stream);
        writer.Commit();
    }

    /// <summary>Copies the file <paramref name="source"/> to <paramref name="path"/>.</summary>
    public static void Copy(string source, string path) => Write(path, stream =>
    {
        using var input = File.OpenRead(source);
        input.CopyTo(stream);
    });

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        using var writer = Create(path);
        writer.Stream.Write(content);
        writer.Commit();
    }

    /// <summary>Opens the temporary file for <paramref name="path"/> (creating the folder). Write to
    /// <see cref="AtomicFileWriter.Stream"/>, then <see cref="AtomicFileWriter.Commit"/>; disposing without a commit
    /// deletes the temporary file and leaves <paramref name="path"/> as it was.</summary>
    public static AtomicFileWriter Create(string path) => Create(path, AtomicFileOptions.Default);

    /// <summary>As <see cref="Create(string)"/>, opening the temporary file as <paramref name="options"/> say.</summary>
    public static AtomicFileWriter Create(string path, AtomicFileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return new AtomicFileWriter(full, TemporaryPathFor(full), options);
    }

    /// <summary>A fresh temporary path for <paramref name="path"/> (full, in its folder, recognised by
    /// <see cref="TargetOfTemporary"/>), for a file that other code writes by path, such as native code; nothing is
    /// created. Move the finished file into place with <see cref="Commit"/>.</summary>
    public static string TemporaryPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, TemporaryName(Path.GetFileName(full)));
    }

    /// <summary>Flushes the finished file at <paramref name="temporaryPath"/> (from <see cref="TemporaryPathFor"/>) to
    /// disk and renames it over <paramref name="path"/>; when that fails the temporary file is deleted.</summary>
    /// <exception cref="ArgumentException"><paramref name="temporaryPath"/> is not a temporary of <paramref name="path"/>.</exception>
    public static void Commit(string temporaryPath, string path)
    {
        string target = Path.GetFullPath(path);
        // Only a recognised temporary: anything else would be left behind, unknown to the cleanup, by a crash.
        if (TargetOfTemporary(temporaryPath) != target)
            throw new ArgumentException($"{temporaryPath} is not a temporary file of {target} (see TemporaryPathFor).", nameof(temporaryPath));
        try
        {
            // The writer closed it without a flush to disk, maybe: a crash after the rename must not leave a hollow file.
            using (var stream = new FileStream(temporaryPath, FileMode.Open, FileAccess.Write, FileShare.None))
                stream.Flush(flushToDisk: true);
            File.Move(temporaryPath, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }
    }

    /// <summary>UTF-8 without a byte-order mark, as <see cref="File.WriteAllText(string, string?)"/> writes.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary><c>.NAME.&lt;32 hex&gt;.tmp</c>: hidden, unique per write, and mapped back to NAME by <see cref="TargetOfTemporary"/>.</summary>
    internal static string TemporaryName(string fileName) => $".{fileName}.{Guid.NewGuid():N}{TempSuffix}";

    /// <summary>The file a temporary of <see cref="Write"/> was going to become (full path), or null when
    /// <paramref name="path"/> is not such a temporary file.</summary>
    public static string? TargetOfTemporary(string path)
    {
        string name = Path.GetFileName(path);
        // "." + NAME + "." + 32 hex + ".tmp", NAME at least one character.
        int minimum = 1 + 1 + 1 + IdLength + TempSuffix.Length;
        if (name.Length < minimum || name[0] != '.' || !name.EndsWith(TempSuffix, StringComparison.Ordinal)) return null;
        int idStart = name.Length - TempSuffix.Length - IdLength;
        if (name[idStart - 1] != '.') return null;
        for (int i = idStart; i < idStart + IdLength; i++)
            if (!char.IsAsciiHexDigitLower(name[i])) return null;
        string target = name[1..(idStart - 1)];
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, target);
    }

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>How <see cref="AtomicFile.Create(string, AtomicFileOptions)"/> opens the temporary file.</summary>
public sealed record AtomicFileOptions
{
    /// <summary>Write-only, shared with no one, created with the process's default permissions.</summary>
    public static AtomicFileOptions Default { get; } = new();

    /// <summary>Opens the temporary file for reading and writing and lets others read it meanwhile: for a writer that
    /// goes back over what it wrote (a header rewritten at the end) or reopens the file by
    /// <see cref="AtomicFileWriter.TemporaryPath"/>.</summary>
    public bool ReadWrite { get; init; }

    /// <summary>On Unix, creates the temporary file (and so the file it becomes) readable and writable by its owner
    /// only (0600), for content other users must not read; ignored on Windows.</summary>
    public bool OwnerOnly { get; init; }

    /// <summary>The stream's buffer in bytes (default 64 KiB).</summary>
    public int BufferSize { get; init; } = 1 << 16;
}

/// <summary>A write in progress; see <see cref="AtomicFile.Create(string)"/>.</summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string _target;
    private FileStream? _stream;

    internal AtomicFileWriter(string target, string temporary, AtomicFileOptions options)
    {
        _target = target;
        TemporaryPath = temporary;
        var open = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = options.ReadWrite ? FileAccess.ReadWrite : FileAccess.Write,
            Share = options.ReadWrite ? FileShare.Read : FileShare.None,
            BufferSize = options.BufferSize,
        };
        // Set at creation, so there is no moment in which others may open it.
        if (options.OwnerOnly && !OperatingSystem.IsWindows()) open.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        _stream = new FileStream(temporary, open);
    }

    /// <summary>The temporary file's stream (read-write and seekable with <see cref="AtomicFileOptions.ReadWrite"/>).</summary>
    public Stream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));

    /// <summary>The temporary file (full path, recognised by <see cref="AtomicFile.TargetOfTemporary"/>), for reopening
    /// what was written (<see cref="AtomicFileOptions.ReadWrite"/>) before the commit; it is gone after the commit.</summary>
    public string TemporaryPath { get; }

    /// <summary>Flushes what was written to disk without committing: before moving a companion file into place, so that
    /// a failing disk stops the commit before anything is renamed.</summary>
    public void FlushToDisk() =>
        (_stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter))).Flush(flushToDisk: true);

    /// <summary>Flushes to disk and renames the temporary file over the target.</summary>
    public void Commit()
    {
        var stream = _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        _stream = null;
        try { File.Move(TemporaryPath, _target, overwrite: true); }
        catch
        {
            AtomicFile.TryDelete(TemporaryPath);
            throw;
        }
    }

    /// <summary>Without a <see cref="Commit"/>, deletes the temporary file and leaves the target as it was.</summary>
    public void Dispose()
    {
        if (_stream is null) return;
        _stream.Dispose();
        _stream = null;
        AtomicFile.TryDelete(TemporaryPath);
    }
}
