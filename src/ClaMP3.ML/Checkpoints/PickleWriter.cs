using System.Buffers.Binary;
using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// Writes plain .NET values as a protocol-2 pickle the way <c>torch.save</c> does, using only opcodes and globals
/// that <c>torch.load(weights_only=True)</c> accepts. Tensors become <c>_rebuild_tensor_v2</c> calls on persistent
/// storages; their bytes are not part of the pickle but listed in <see cref="Storages"/> for the archive.
/// </summary>
/// <remarks>
/// Mapping: null → None; bool; sbyte…long, enums → int; float/double → float; string → str;
/// <see cref="OrderedDictionary{TKey,TValue}"/> and <see cref="StateDict"/> → collections.OrderedDict; any other
/// IDictionary → dict (keys str or int); object?[] and value tuples → tuple; any other IEnumerable → list;
/// <see cref="CheckpointTensor"/> → tensor.
/// </remarks>
internal sealed class PickleWriter
{
    private const int MaxDepth = 512;
    private const int BatchSize = 1000; // as CPython's pickler batches SETITEMS/APPENDS

    private readonly MemoryStream _out = new();
    private readonly Dictionary<string, int> _globals = new();
    private int _memoCount;

    /// <summary>The tensors in storage-key order ("0", "1", …).</summary>
    public List<CheckpointTensor> Storages { get; } = new();

    public byte[] Pickle(object? value)
    {
        _out.WriteByte(0x80); _out.WriteByte(2); // PROTO 2
        Write(value, 0);
        _out.WriteByte((byte)'.');               // STOP
        return _out.ToArray();
    }

    private void Write(object? value, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"Values nest deeper than {MaxDepth} levels (a cycle?).");
        switch (value)
        {
            case null: Op('N'); break;
            case bool b: Op(b ? 0x88 : 0x89); break;
            case string s: WriteString(s); break;
            case float f: WriteDouble(f); break;
            case double d: WriteDouble(d); break;
            case sbyte or byte or short or ushort or int or uint or long: WriteInt(Convert.ToInt64(value)); break;
            case ulong u: WriteInt(checked((long)u)); break;
            case Enum e: WriteInt(Convert.ToInt64(e)); break;
            case CheckpointTensor t: WriteTensor(t, t.DType, t.Shape); break;
            case StateDict sd: WriteDict(sd.Select(kv => new KeyValuePair<object, object?>(kv.Key, kv.Value)), ordered: true, depth); break;
            case IDictionary d:
                bool ordered = value.GetType().IsGenericType && value.GetType().GetGenericTypeDefinition() == typeof(OrderedDictionary<,>);
                WriteDict(Entries(d), ordered, depth);
                break;
            case object?[] tuple: WriteTuple(tuple, depth); break;
            case ITuple vt: WriteTuple(Enumerable.Range(0, vt.Length).Select(i => vt[i]).ToArray(), depth); break;
            case IEnumerable list: WriteList(list, depth); break;
            default: throw new ArgumentException($"Cannot pickle a {value.GetType().FullName}: use plain values, dictionaries, lists, tuples and tensors.");
        }
    }

    private void WriteDict(IEnumerable<KeyValuePair<object, object?>> items, bool ordered, int depth)
    {
        if (ordered) { WriteGlobal("collections", "OrderedDict"); Op(')'); Op('R'); }
        else Op('}');
        int n = 0;
        foreach (var (key, v) in items)
        {
            if (key is not (string or sbyte or byte or short or ushort or int or uint or long))
                throw new ArgumentException($"Dictionary key of type {key.GetType().Name} cannot be pickled (use strings or integers).");
            if (n % BatchSize == 0) { if (n > 0) Op('u'); Op('('); }
            Write(key, depth + 1);
            Write(v, depth + 1);
            n++;
        }
        if (n > 0) Op('u');
    }

    private static IEnumerable<KeyValuePair<object, object?>> Entries(IDictionary d)
    {
        // IDictionary's own enumerator yields DictionaryEntry (the generic one would yield KeyValuePair).
        var e = d.GetEnumerator();
        while (e.MoveNext()) yield return new KeyValuePair<object, object?>(e.Key, e.Value);
    }

    private void WriteList(IEnumerable items, int depth)
    {
        Op(']');
        int n = 0;
        foreach (var v in items)
        {
            if (n % BatchSize == 0) { if (n > 0) Op('e'); Op('('); }
            Write(v, depth + 1);
            n++;
        }
        if (n > 0) Op('e');
    }

    private void WriteTuple(object?[] items, int depth)
    {
        switch (items.Length)
        {
            case 0: Op(')'); return;
            case <= 3:
                foreach (var v in items) Write(v, depth + 1);
                Op(0x84 + items.Length); // TUPLE1..3
                break;
            default:
                Op('(');
                foreach (var v in items) Write(v, depth + 1);
                Op('t');
                break;
        }
    }

    /// <summary>torch._utils._rebuild_tensor_v2(pid('storage', torch.XStorage, key, 'cpu', numel), 0, size, stride, False, OrderedDict()).</summary>
    private void WriteTensor(CheckpointTensor tensor, TensorDType dtype, long[] shape)
    {
        string key = Storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Storages.Add(tensor);
        long numel = CheckpointTensor.ElementCountOf(shape);
        WriteGlobal("torch._utils", "_rebuild_tensor_v2");
        Op('(');
        Op('('); WriteString("storage"); WriteGlobal("torch", dtype.StorageClassName()); WriteString(key); WriteString("cpu"); WriteInt(numel); Op('t');
        Op('Q'); // BINPERSID
        WriteInt(0);
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { strides[d] = stride; stride *= Math.Max(shape[d], 1); }
        WriteTuple(shape.Cast<object?>().ToArray(), 0);
        WriteTuple(strides.Cast<object?>().ToArray(), 0);
        Op(0x89); // requires_grad False
        WriteGlobal("collections", "OrderedDict"); Op(')'); Op('R'); // backward_hooks
        Op('t');
        Op('R');
    }

    private void WriteGlobal(string module, string name)
    {
        string full = module + "\n" + name + "\n";
        if (_globals.TryGetValue(full, out int index)) { Get(index); return; }
        Op('c');
        _out.Write(Encoding.ASCII.GetBytes(full));
        _globals[full] = _memoCount;
        Memoize();
    }

    private void WriteInt(long v)
    {
        if (v >= 0 && v < 256) { Op('K'); _out.WriteByte((byte)v); }
        else if (v >= 0 && v < 65536) { Op('M'); Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); _out.Write(b); }
        else if (v >= int.MinValue && v <= int.MaxValue) { Op('J'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); _out.Write(b); }
        else
        {
            // LONG1: minimal two's-complement little-endian bytes.
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            int n = 8;
            while (n > 1 && ((b[n - 1] == 0 && (b[n - 2] & 0x80) == 0) || (b[n - 1] == 0xFF && (b[n - 2] & 0x80) != 0))) n--;
            Op(0x8a); _out.WriteByte((byte)n); _out.Write(b[..n]);
        }
    }

    private void WriteDouble(double d)
    {
        Op('G');
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, d);
        _out.Write(b);
    }

    private void WriteString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Op('X');
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, bytes.Length);
        _out.Write(len);
        _out.Write(bytes);
    }

    /// <summary>Only globals are memoized (and reused), as the only values written more than once.</summary>
    private void Memoize()
    {
        int index = _memoCount++;
        if (index < 256) { Op('q'); _out.WriteByte((byte)index); }
        else { Op('r'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, index); _out.Write(b); }
    }

    private void Get(int index)
    {
        if (index < 256) { Op('h'); _out.WriteByte((byte)index); }
        else { Op('j'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, index); _out.Write(b); }
    }

    private void Op(char c) => _out.WriteByte((byte)c);
    private void Op(int b) => _out.WriteByte((byte)b);
}
