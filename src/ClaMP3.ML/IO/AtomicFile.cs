using System.Text;

namespace ClaMP3.ML.IO;

/// <summary>The one way this library writes a file that someone may read while it is written, or that a resumed run
/// takes as finished: a temporary file in the same folder (so the rename stays on one file system) with a unique name,
/// flushed to disk, then renamed over the target. A crash leaves either the old file or the new one, never half of one;
/// the temporary files such a crash leaves are recognised by <see cref="TargetOfTemporary"/> and removed by
/// <see cref="FileBatch"/> on the next run.</summary>
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

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        using var writer = Create(path);
        writer.Stream.Write(content);
        writer.Commit();
    }

    /// <summary>Opens the temporary file for <paramref name="path"/> (creating the folder). Write to
    /// <see cref="AtomicFileWriter.Stream"/>, then <see cref="AtomicFileWriter.Commit"/>; disposing without a commit
    /// deletes the temporary file and leaves <paramref name="path"/> as it was.</summary>
    public static AtomicFileWriter Create(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        return new AtomicFileWriter(full, Path.Combine(dir, TemporaryName(Path.GetFileName(full))));
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

/// <summary>A write in progress; see <see cref="AtomicFile.Create"/>.</summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string _target, _temporary;
    private FileStream? _stream;

    internal AtomicFileWriter(string target, string temporary)
    {
        _target = target;
        _temporary = temporary;
        _stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public Stream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));

    /// <summary>Flushes to disk and renames the temporary file over the target.</summary>
    public void Commit()
    {
        var stream = _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        _stream = null;
        try { File.Move(_temporary, _target, overwrite: true); }
        catch
        {
            AtomicFile.TryDelete(_temporary);
            throw;
        }
    }

    public void Dispose()
    {
        if (_stream is null) return;
        _stream.Dispose();
        _stream = null;
        AtomicFile.TryDelete(_temporary);
    }
}
