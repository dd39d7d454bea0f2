using System.IO.Compression;
using System.Text;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>Assembles pickles opcode by opcode, for inputs no writer of ours would produce (hostile files, strided views).</summary>
internal sealed class HandPickle
{
    private readonly MemoryStream _bytes = new();

    public HandPickle Proto(int version = 2) => Op(0x80).Byte(version);
    public HandPickle Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    public HandPickle Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Op('X').Raw(BitConverter.GetBytes(b.Length)).Raw(b);
    }
    public HandPickle Int(int v) => Op('J').Raw(BitConverter.GetBytes(v));
    public HandPickle Float(double v)
    {
        var b = BitConverter.GetBytes(v);
        Array.Reverse(b);
        return Op('G').Raw(b);
    }
    public HandPickle False() => Op(0x89);
    public HandPickle Mark() => Op('(');
    public HandPickle Tuple() => Op('t');
    public HandPickle EmptyTuple() => Op(')');
    public HandPickle EmptyDict() => Op('}');
    public HandPickle SetItem() => Op('s');
    public HandPickle SetItems() => Op('u');
    public HandPickle Reduce() => Op('R');
    public HandPickle PersId() => Op('Q');
    public HandPickle Stop() => Op('.');

    /// <summary>Pushes torch._utils._rebuild_tensor_v2(storage(key), offset, size, stride, False, OrderedDict()).</summary>
    public HandPickle Tensor(string storageClass, string key, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str("cpu").Int((int)numel).Tuple().PersId();
        Int((int)offset);
        Mark(); foreach (var s in size) Int((int)s); Tuple();
        Mark(); foreach (var s in stride) Int((int)s); Tuple();
        False().Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public HandPickle Op(char c) => Op((byte)c);
    public HandPickle Op(byte b) { _bytes.WriteByte(b); return this; }
    public HandPickle Byte(int b) { _bytes.WriteByte((byte)b); return this; }
    public HandPickle Raw(byte[] b) { _bytes.Write(b); return this; }
    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>Writes a torch.save-style zip: PREFIX/data.pkl, PREFIX/data/KEY, PREFIX/version.</summary>
    public static void WriteZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, string prefix = "archive", string? byteOrder = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] data)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Entry($"{prefix}/data.pkl", pickle);
        foreach (var (key, data) in storages) Entry($"{prefix}/data/{key}", data);
        Entry($"{prefix}/version", Encoding.ASCII.GetBytes("3\n"));
        if (byteOrder != null) Entry($"{prefix}/byteorder", Encoding.ASCII.GetBytes(byteOrder));
    }
}
