using System.IO.Compression;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// The zip container <c>torch.save</c> writes (torch ≥ 1.6): <c>PREFIX/data.pkl</c> (the pickle),
/// <c>PREFIX/data/KEY</c> (one raw little-endian storage per key), <c>PREFIX/version</c>. The prefix is
/// <c>archive</c> or the file stem, so the pickle is found as the one entry named <c>*/data.pkl</c>.
/// Storages are streamed from their entries one at a time, straight into the arrays the tensors keep.
/// </summary>
internal sealed class PthArchive : IDisposable
{
    private readonly string _path;
    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Dictionary<string, byte[]> _storages = new();
    private readonly Dictionary<string, StorageRef> _refs = new(StringComparer.Ordinal);
    private readonly long _fileLength;
    /// <summary>How many bytes compressed entries may still add beyond their stored size.</summary>
    private long _inflationBudget;

    private PthArchive(string path, ZipArchive zip, string prefix, long fileLength)
    {
        _path = path;
        _zip = zip;
        _prefix = prefix;
        _fileLength = fileLength;
        _inflationBudget = Math.Max(64L << 20, 2 * fileLength);
    }

    public static PthArchive Open(string path)
    {
        ZipArchive zip;
        long fileLength = new FileInfo(path).Length;
        try { zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read, leaveOpen: false); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a readable zip archive (truncated or corrupt PyTorch checkpoint?): {e.Message}", e); }
        try
        {
            var pickles = zip.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (pickles.Count == 0)
                throw new InvalidDataException($"{path}: the zip archive has no '*/data.pkl' entry, so it is not a PyTorch checkpoint.");
            // A checkpoint saved inside another folder structure may hold more; torch uses the top-level one.
            var pickle = pickles.OrderBy(e => e.FullName.Count(c => c == '/')).First();
            var archive = new PthArchive(path, zip, pickle.FullName[..^"data.pkl".Length], fileLength);
            archive.CheckByteOrder();
            return archive;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>torch ≥ 2.1 records the writer's byte order; storages are raw memory, so only little-endian is readable as is.</summary>
    private void CheckByteOrder()
    {
        if (_zip.GetEntry(_prefix + "byteorder") is not { } entry) return; // older torch: always little-endian in practice
        var order = System.Text.Encoding.ASCII.GetString(ReadEntry(entry.FullName, expectedLength: null)).Trim();
        if (order != "little")
            throw new InvalidDataException($"{_path}: the checkpoint was written on a '{order}'-endian machine; only little-endian checkpoints are supported.");
    }

    public byte[] ReadPickleBytes() => ReadEntry(_prefix + "data.pkl", expectedLength: null);

    public string PickleSource => $"{_path} ({_prefix}data.pkl)";

    /// <summary>The whole pickle as VM values (tensors still unread views on their storages).</summary>
    public object? LoadPickle() => new PickleReader(ReadPickleBytes(), PickleSource, PersistentLoad).Load();

    /// <summary>torch's persistent id: ('storage', storage_type, key, location, numel).</summary>
    private object? PersistentLoad(object?[] pid)
    {
        if (pid.Length != 5 || pid[0] is not "storage")
            throw new InvalidDataException($"persistent id of {pid.Length} items starting with {PickleReader.Describe(pid.FirstOrDefault())} is not a torch storage reference");
        if (pid[1] is not PickleGlobal { Module: "torch" } type)
            throw new InvalidDataException($"storage type is a {PickleReader.Describe(pid[1])}");
        TensorDType? dtype = null;
        if (type.Name != "UntypedStorage")
            dtype = TensorDTypes.FromStorageClassName(type.Name) ?? throw new InvalidDataException($"unsupported storage type {type.FullName}");
        var key = pid[2] as string ?? throw new InvalidDataException($"storage key is a {PickleReader.Describe(pid[2])}");
        if (key.Length == 0 || key.Contains('/') || key.Contains('\\') || key.Contains(".."))
            throw new InvalidDataException($"storage key '{key}' is not a plain entry name");
        if (pid[3] is not string) throw new InvalidDataException($"storage location is a {PickleReader.Describe(pid[3])}");
        if (pid[4] is not long numel || numel < 0 || numel > Array.MaxLength) throw new InvalidDataException($"storage size {pid[4] ?? "None"} ({PickleReader.Describe(pid[4])}) is not a valid element count");
        // One StorageRef per key, so that the extent the tensors need is known for the storage as a whole.
        if (_refs.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.Numel != numel)
                throw new InvalidDataException($"storage '{key}' is referenced twice with different types or sizes");
            return known;
        }
        return _refs[key] = new StorageRef { Key = key, DType = dtype, Numel = numel, Load = LoadStorage };
    }

    private byte[] LoadStorage(StorageRef storage, TensorDType tensorDType)
    {
        if (_storages.TryGetValue(storage.Key, out var cached)) return cached;
        long bytes = storage.DType == null ? storage.Numel : checked(storage.Numel * tensorDType.ElementSize());
        var data = ReadEntry(_prefix + "data/" + storage.Key, bytes, storage.RequiredBytes);
        _storages[storage.Key] = data;
        return data;
    }

    private byte[] ReadEntry(string name, long? expectedLength, long? requiredBytes = null)
    {
        var entry = _zip.GetEntry(name) ?? throw new InvalidDataException($"{_path}: the checkpoint has no entry '{name}' (truncated or incomplete file?).");
        if (expectedLength is { } n && entry.Length != n)
            throw new InvalidDataException($"{_path}: entry '{name}' holds {entry.Length} bytes, the pickle says the storage needs {n}.");
        if (entry.Length > Array.MaxLength)
            throw new InvalidDataException($"{_path}: entry '{name}' ({entry.Length} bytes) is larger than one .NET array can hold.");
        CheckAllocation(entry, requiredBytes);
        var data = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(data); // never more than the declared (and checked) length
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{_path}: entry '{name}' holds more data than its declared {entry.Length} bytes.");
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{_path}: entry '{name}' cannot be read completely (truncated or corrupt file?): {e.Message}", e);
        }
        // torch does not check the zip's CRC-32; we do, so a corrupted storage is refused instead of loaded.
        if (Crc32.Compute(data) != entry.Crc32)
            throw new InvalidDataException($"{_path}: entry '{name}' fails its CRC-32 check (corrupt checkpoint).");
        return data;
    }

    /// <summary>
    /// Memory is allocated from declared sizes only when the file backs them: a stored entry is bounded by the file's
    /// length; a compressed one (torch.save never compresses) must not be larger than what the tensors on it address,
    /// and all compressed entries together may inflate by a bounded amount.
    /// </summary>
    private void CheckAllocation(ZipArchiveEntry entry, long? requiredBytes)
    {
        IO.SafeArchive.CheckDeclaredSize(entry, _fileLength, null, _path);
        long growth = entry.Length - entry.CompressedLength;
        if (growth <= 0) return;
        if (requiredBytes is { } need && entry.Length > need)
            throw new InvalidDataException($"{_path}: compressed entry '{entry.FullName}' declares {entry.Length} bytes, but the tensors on it address only {need}; refused (torch.save never compresses storages).");
        _inflationBudget -= growth;
        if (_inflationBudget < 0)
            throw new InvalidDataException($"{_path}: compressed entries would inflate far beyond the file's {_fileLength} bytes (a zip bomb?); refused (torch.save never compresses).");
    }

    public void Dispose() => _zip.Dispose();
}
