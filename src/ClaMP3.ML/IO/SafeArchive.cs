using System.IO.Compression;
using System.Security.Cryptography;

namespace ClaMP3.ML.IO;

/// <summary>
/// Reading zip members without trusting the archive: names from a file are checked to be plain file names that stay
/// inside their target folder, sizes are bounded before anything is allocated or written, inflation is bounded by the
/// declared size, and extracted content is checked against a recorded SHA-256.
/// </summary>
public static class SafeArchive
{
    /// <summary>Members that expand (deflated) may grow at most this many times their stored size, unless small.</summary>
    private const long MaxExpansionRatio = 8;
    private const long SmallEntryBytes = 64L << 20;

    /// <summary>
    /// <paramref name="name"/> (read from a file) as a plain file name inside <paramref name="folder"/>: no folder
    /// parts, no <c>..</c>, not rooted; the resolved path is checked to stay inside the folder.
    /// </summary>
    public static string ContainedPath(string folder, string? name, string source)
    {
        RequirePlainName(name, source);
        string root = Path.GetFullPath(folder);
        string full = Path.GetFullPath(Path.Combine(root, name!)); // RequirePlainName refused null
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: member name '{name}' resolves outside {root}.");
        return full;
    }

    /// <summary>Refuses a name (read from a file) that is not a plain file name: empty, <c>.</c>, <c>..</c>, rooted, or
    /// holding a folder separator, a drive colon or NUL.</summary>
    public static void RequirePlainName(string? name, string source)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(new[] { '/', '\\', '\0', ':' }) >= 0
            || Path.IsPathRooted(name) || name != Path.GetFileName(name))
            throw new InvalidDataException($"{source}: member name '{name}' is not a plain file name (folder parts, '..' or absolute paths are refused).");
    }

    /// <summary>Refuses an entry whose declared size is not backed by the archive: larger than the file, or
    /// inflating more than a deflate stream of its stored size plausibly would for the data we store.</summary>
    /// <param name="smallEntryBytes">Entries up to this size may inflate at any ratio (default 64 MiB).</param>
    public static void CheckDeclaredSize(ZipArchiveEntry entry, long archiveLength, long? maxBytes, string source, long smallEntryBytes = SmallEntryBytes)
    {
        if (entry.CompressedLength > archiveLength)
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' claims {entry.CompressedLength} stored bytes, more than the {archiveLength}-byte file.");
        if (maxBytes is { } max && entry.Length > max)
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' declares {entry.Length} bytes, more than the {max} allowed for it.");
        if (entry.Length > smallEntryBytes && entry.Length > entry.CompressedLength * MaxExpansionRatio)
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' would inflate {entry.CompressedLength} bytes to {entry.Length} (a zip bomb?); refused.");
    }

    /// <summary>The whole entry in memory, reading at most its declared length (which must be ≤ <paramref name="maxBytes"/>).</summary>
    public static byte[] ReadAll(ZipArchiveEntry entry, long archiveLength, long maxBytes, string source)
    {
        CheckDeclaredSize(entry, archiveLength, maxBytes, source);
        var data = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(data);
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{source}: entry '{entry.FullName}' holds more data than its declared {entry.Length} bytes.");
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' cannot be read completely (truncated or corrupt file?): {e.Message}", e);
        }
        return data;
    }

    /// <summary>
    /// Extracts <paramref name="entry"/> to <paramref name="target"/> (a path from <see cref="ContainedPath"/>) through a
    /// unique temporary file (<see cref="AtomicFile"/>, owner-only on Unix), writing at most <paramref name="size"/> bytes
    /// and checking the SHA-256 before the rename.
    /// </summary>
    public static void ExtractVerified(ZipArchiveEntry entry, string target, long size, string sha256, long archiveLength, string source)
    {
        if (entry.Length != size)
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' holds {entry.Length} bytes, the manifest records {size}.");
        CheckDeclaredSize(entry, archiveLength, null, source);
        try
        {
            using var input = entry.Open();
            // Owner-only (0600) from its creation: the extracted weights are the user's, in their private cache.
            using var output = AtomicFile.Create(target, new AtomicFileOptions { OwnerOnly = true, BufferSize = 1 << 20 });
            string actual = CopyHashed(input, output.Stream, size, entry.FullName, source);
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{source}: entry '{entry.FullName}' does not match its recorded SHA-256 (corrupt or tampered model file).");
            output.Commit(); // without it (any exception above), disposing deletes the temporary file
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"{source}: entry '{entry.FullName}' cannot be extracted (truncated or corrupt file?): {e.Message}", e);
        }
    }

    /// <summary>A read stream over the entry that never delivers more than its declared (and checked) length: a
    /// deflate stream that goes on inflating past it is an error, not more data.</summary>
    public static Stream OpenBounded(ZipArchiveEntry entry, long archiveLength, long maxBytes, string source, long smallEntryBytes = SmallEntryBytes)
    {
        CheckDeclaredSize(entry, archiveLength, maxBytes, source, smallEntryBytes);
        return new BoundedStream(entry.Open(), entry.Length, $"{source}: entry '{entry.FullName}'");
    }

    private sealed class BoundedStream(Stream inner, long length, string name) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_read == length)
            {
                // At the declared end: one more byte means the entry lies about its size.
                Span<byte> probe = stackalloc byte[1];
                if (buffer.Length > 0 && inner.Read(probe) > 0)
                    throw new InvalidDataException($"{name} inflates past its declared {length} bytes.");
                return 0;
            }
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _read)]);
            _read += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>Stores <paramref name="file"/> in <paramref name="zip"/> as <paramref name="entryName"/>, uncompressed (as
    /// <c>CreateEntryFromFile</c> with <see cref="CompressionLevel.NoCompression"/>, file time included), and returns its
    /// size and lower-case hex SHA-256 computed on the same read: a weight file is read once, not once to hash it and
    /// once more to copy it.</summary>
    public static (long Size, string Sha256) AddEntryHashed(ZipArchive zip, string file, string entryName)
    {
        ArgumentNullException.ThrowIfNull(zip);
        using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var entry = zip.CreateEntry(entryName, CompressionLevel.NoCompression);
        var lastWrite = File.GetLastWriteTime(file);
        // What CreateEntryFromFile does with a time the zip format cannot hold.
        entry.LastWriteTime = lastWrite.Year is < 1980 or > 2107 ? new DateTime(1980, 1, 1, 0, 0, 0) : lastWrite;
        using var output = entry.Open();
        long size = input.Length;
        return (size, CopyHashed(input, output, size, entryName, file));
    }

    /// <summary>True for 64 hex digits (what a manifest may name a cache folder or file after).</summary>
    public static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);

    /// <summary>A folder only the current user can enter (0700 on Unix), created if needed; an existing folder
    /// that others may write to is tightened.</summary>
    public static string CreatePrivateDirectory(string path)
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows()) return Directory.CreateDirectory(path).FullName;
        var info = Directory.CreateDirectory(path, ownerOnly);
        if ((File.GetUnixFileMode(info.FullName) & ~ownerOnly) != 0) File.SetUnixFileMode(info.FullName, ownerOnly);
        return info.FullName;
    }

    private static string CopyHashed(Stream input, Stream output, long size, string entryName, string source)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, size - total + 1))) > 0)
        {
            total += n;
            if (total > size)
                throw new InvalidDataException($"{source}: entry '{entryName}' inflates past its declared {size} bytes.");
            hash.AppendData(buffer, 0, n);
            output.Write(buffer, 0, n);
        }
        if (total != size)
            throw new InvalidDataException($"{source}: entry '{entryName}' ends after {total} of its {size} bytes (truncated file?).");
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
