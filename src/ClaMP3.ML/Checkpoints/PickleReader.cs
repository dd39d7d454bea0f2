using System.Buffers.Binary;
using System.Text;

namespace ClaMP3.ML.Checkpoints;

/// <summary>A whitelisted global (module + name) met in a pickle; a value, never something that runs.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>A Python dict or collections.OrderedDict (both keep insertion order), plus attributes set by BUILD (e.g. <c>_metadata</c>).</summary>
internal sealed class PyDict
{
    public OrderedDictionary<object, object?> Items { get; } = new();
    public bool IsOrderedDict { get; init; }
    public Dictionary<string, object?>? Attributes { get; set; }
}

/// <summary>What a <c>BINPERSID</c> resolves to in a torch checkpoint: a storage, read only when a tensor needs it.</summary>
internal sealed class StorageRef
{
    public required string Key { get; init; }
    /// <summary>Null for <c>torch.UntypedStorage</c> (the tensor supplies the dtype and <see cref="Numel"/> counts bytes).</summary>
    public required TensorDType? DType { get; init; }
    public required long Numel { get; init; }
    public required Func<StorageRef, TensorDType, byte[]> Load { get; init; }
    /// <summary>Bytes of the storage that the tensors built on it address (the furthest element + 1), known once the
    /// whole pickle is read: a compressed storage entry larger than this is refused rather than inflated.</summary>
    public long RequiredBytes { get; set; }
}

/// <summary>A tensor view on a storage (what <c>_rebuild_tensor_v2</c> describes); data is copied out on <see cref="Materialize"/>.</summary>
internal sealed class TensorRef
{
    public required StorageRef Storage { get; init; }
    public required TensorDType DType { get; init; }
    public required long Offset { get; init; }
    public required long[] Size { get; init; }
    public required long[] Stride { get; init; }

    public CheckpointTensor Materialize()
    {
        var storage = Storage.Load(Storage, DType);
        int es = DType.ElementSize();
        long n = CheckpointTensor.ElementCountOf(Size);
        if (n == 0) return new CheckpointTensor(DType, Size, Array.Empty<byte>());
        long storageElements = storage.LongLength / es;
        if (Offset == 0 && n == storageElements && IsContiguous()) return new CheckpointTensor(DType, Size, storage); // no copy
        var result = new byte[checked(n * es)];
        if (IsContiguous())
            Array.Copy(storage, Offset * es, result, 0, result.LongLength);
        else
            Gather(storage, result, es);
        return new CheckpointTensor(DType, Size, result);
    }

    private bool IsContiguous()
    {
        long expected = 1;
        for (int d = Size.Length - 1; d >= 0; d--)
        {
            if (Size[d] != 1 && Stride[d] != expected) return false;
            expected *= Size[d];
        }
        return true;
    }

    /// <summary>Copies a strided view into C order (e.g. a saved <c>t.t()</c>), a run at a time when the last dimension is dense.</summary>
    private void Gather(byte[] storage, byte[] result, int es)
    {
        int dims = Size.Length;
        bool denseRows = Stride[dims - 1] == 1;
        long run = denseRows ? Size[dims - 1] : 1;   // elements copied per step
        int outer = denseRows ? dims - 1 : dims;     // dimensions walked by the index
        var index = new long[outer];
        long steps = result.LongLength / es / run;
        long outPos = 0;
        for (long i = 0; i < steps; i++)
        {
            long src = Offset;
            for (int d = 0; d < outer; d++) src += index[d] * Stride[d];
            Array.Copy(storage, src * es, result, outPos, run * es);
            outPos += run * es;
            for (int d = outer - 1; d >= 0; d--)
            {
                if (++index[d] < Size[d]) break;
                index[d] = 0;
            }
        }
    }
}

/// <summary>
/// A pickle virtual machine for the subset of opcodes and globals that PyTorch state dicts use. It never imports or
/// calls anything named by the file: a GLOBAL outside the whitelist, or any other opcode, stops it with an
/// <see cref="InvalidDataException"/> before anything is built from it.
/// </summary>
internal sealed class PickleReader
{
    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch.UntypedStorage", "torch.Size", "torch.device",
    };

    private const int MaxDepth = 512;

    private readonly byte[] _data;
    private readonly string _source;
    private readonly Func<object?[], object?>? _persistentLoad;
    private int _pos;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    /// <param name="source">Named in every error (e.g. "model.pth (archive/data.pkl)").</param>
    /// <param name="persistentLoad">Resolves BINPERSID ids; null means a persistent id is an error.</param>
    public PickleReader(byte[] data, string source, Func<object?[], object?>? persistentLoad = null)
    {
        _data = data;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    public static bool IsAllowedGlobal(string module, string name) =>
        AllowedGlobals.Contains(module + "." + name)
        || (module == "torch" && (TensorDTypes.FromStorageClassName(name) != null || TensorDTypes.FromTorchDTypeName(name) != null));

    public object? Load()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Error("the pickle ends before its STOP opcode (truncated file?)");
            int opPos = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: ReadByte(); break;                          // PROTO
                case 0x95: ReadBytes(8); break;                        // FRAME (protocol 4): framing hint only
                case (byte)'.': return Stop(opPos);                  // STOP
                case (byte)'(': _marks.Push(_stack.Count); break;    // MARK
                case (byte)'0': Pop(); break;                        // POP
                case (byte)'1': PopMark(opPos); break;               // POP_MARK
                case (byte)'2': Push(Peek(opPos)); break;            // DUP
                case (byte)'N': Push(null); break;                   // NONE
                case 0x88: Push(true); break;                          // NEWTRUE
                case 0x89: Push(false); break;                         // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break;       // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadByte(), opPos)); break;  // LONG1
                case 0x8b: Push(ReadLong(ReadLength(4), opPos)); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': Push(ReadUtf8(ReadLength(4))); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break;         // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8))); break;      // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break;    // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength(4)).ToArray()); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte()).ToArray()); break;    // SHORT_BINBYTES
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': Push(PopMark(opPos).ToArray()); break; // TUPLE
                case 0x85: { var a = Pop(); Push(new[] { a }); break; }                 // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)']': Push(new List<object?>()); break;    // EMPTY_LIST
                case (byte)'l': Push(PopMark(opPos)); break;         // LIST
                case (byte)'a': { var v = Pop(); AsList(Peek(opPos), opPos).Add(v); break; } // APPEND
                case (byte)'e': { var items = PopMark(opPos); AsList(Peek(opPos), opPos).AddRange(items); break; } // APPENDS
                case (byte)'}': Push(new PyDict()); break;           // EMPTY_DICT
                case (byte)'d': { var items = PopMark(opPos); var d = new PyDict(); SetItems(d, items, opPos); Push(d); break; } // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(AsDict(Peek(opPos), opPos), new List<object?> { k, v }, opPos); break; } // SETITEM
                case (byte)'u': { var items = PopMark(opPos); SetItems(AsDict(Peek(opPos), opPos), items, opPos); break; } // SETITEMS
                case (byte)'q': _memo[ReadByte()] = Peek(opPos); break;  // BINPUT
                case (byte)'r': _memo[ReadLength(4)] = Peek(opPos); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(opPos); break;        // MEMOIZE
                case (byte)'h': Push(GetMemo(ReadByte(), opPos)); break;   // BINGET
                case (byte)'j': Push(GetMemo(ReadLength(4), opPos)); break; // LONG_BINGET
                case (byte)'c': Push(Global(ReadLine(), ReadLine(), opPos)); break; // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(AsString(module, opPos), AsString(name, opPos), opPos)); break; } // STACK_GLOBAL
                case (byte)'R': { var args = Pop(); var func = Pop(); Push(Reduce(func, args, opPos)); break; } // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); Push(Reduce(cls, args, opPos)); break; }      // NEWOBJ
                case (byte)'b': { var state = Pop(); Build(Peek(opPos), state, opPos); break; }             // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop(), opPos)); break; // BINPERSID
                default:
                    throw Error($"pickle opcode 0x{op:x2} ('{(op >= 0x20 && op < 0x7f ? (char)op : '?')}') at byte {opPos} is not allowed in a checkpoint");
            }
        }
    }

    private object? Stop(int opPos)
    {
        var root = Pop();
        if (_marks.Count > 0) throw Error($"unbalanced MARK at STOP (byte {opPos})");
        return root;
    }

    private PickleGlobal Global(string module, string name, int opPos)
    {
        if (!IsAllowedGlobal(module, name))
            throw Error($"refuses pickle global '{module}.{name}' (GLOBAL at byte {opPos}): only the types of a PyTorch state dict are allowed and nothing from the file is executed");
        return new PickleGlobal(module, name);
    }

    private object? Reduce(object? func, object? args, int opPos)
    {
        if (func is not PickleGlobal g) throw Error($"REDUCE at byte {opPos} calls a {Describe(func)}, not an allowed global");
        if (args is not object?[] a) throw Error($"REDUCE at byte {opPos}: arguments of {g.FullName} are a {Describe(args)}, not a tuple");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                if (a.Length != 0) throw Error($"REDUCE at byte {opPos}: collections.OrderedDict with arguments is not supported");
                return new PyDict { IsOrderedDict = true };
            case "torch._utils._rebuild_tensor":
                Expect(g, a, 4, 4, opPos);
                return RebuildTensor(a[0], null, a[1], a[2], a[3], opPos);
            case "torch._utils._rebuild_tensor_v2":
                Expect(g, a, 6, 7, opPos);
                return RebuildTensor(a[0], null, a[1], a[2], a[3], opPos);
            case "torch._utils._rebuild_tensor_v3":
                Expect(g, a, 7, 8, opPos);
                return RebuildTensor(a[0], a[6], a[1], a[2], a[3], opPos);
            case "torch._utils._rebuild_parameter":
                Expect(g, a, 3, 3, opPos);
                return a[0] is TensorRef ? a[0] : throw Error($"REDUCE at byte {opPos}: {g.FullName} wraps a {Describe(a[0])}, not a tensor");
            case "torch._utils._rebuild_parameter_with_state":
                Expect(g, a, 4, 4, opPos);
                return a[0] is TensorRef ? a[0] : throw Error($"REDUCE at byte {opPos}: {g.FullName} wraps a {Describe(a[0])}, not a tensor");
            case "torch.Size":
                Expect(g, a, 0, 1, opPos);
                return a.Length == 0 ? Array.Empty<object?>() : a[0] is object?[] t ? t : throw Error($"REDUCE at byte {opPos}: torch.Size of a {Describe(a[0])}");
            case "torch.device":
                Expect(g, a, 1, 2, opPos);
                return a.Length == 1 ? AsString(a[0], opPos) : $"{AsString(a[0], opPos)}:{a[1]}";
            default:
                throw Error($"REDUCE at byte {opPos}: global '{g.FullName}' cannot be called");
        }
    }

    private void Expect(PickleGlobal g, object?[] a, int min, int max, int opPos)
    {
        if (a.Length < min || a.Length > max)
            throw Error($"REDUCE at byte {opPos}: {g.FullName} got {a.Length} arguments, expected {(min == max ? min.ToString() : $"{min} to {max}")}");
    }

    private const long MaxRepeatingViewBytes = 64L << 20;

    private TensorRef RebuildTensor(object? storage, object? dtypeArg, object? offset, object? size, object? stride, int opPos)
    {
        if (storage is not StorageRef s) throw Error($"REDUCE at byte {opPos}: a tensor's storage is a {Describe(storage)}, not a persistent storage reference");
        TensorDType dtype;
        if (dtypeArg is PickleGlobal dg)
            dtype = TensorDTypes.FromTorchDTypeName(dg.Name) ?? throw Error($"REDUCE at byte {opPos}: unsupported tensor dtype {dg.FullName}");
        else if (dtypeArg != null)
            throw Error($"REDUCE at byte {opPos}: a tensor's dtype is a {Describe(dtypeArg)}");
        else
            dtype = s.DType ?? throw Error($"REDUCE at byte {opPos}: storage '{s.Key}' is untyped and the tensor names no dtype");
        if (s.DType != null && s.DType != dtype) throw Error($"REDUCE at byte {opPos}: storage '{s.Key}' is {s.DType}, the tensor says {dtype}");
        long off = AsLong(offset, opPos);
        var sizes = AsLongs(size, "size", opPos);
        var strides = AsLongs(stride, "stride", opPos);
        if (sizes.Length != strides.Length) throw Error($"REDUCE at byte {opPos}: tensor on storage '{s.Key}' has {sizes.Length} sizes but {strides.Length} strides");
        long storageElements = s.DType == null ? s.Numel / dtype.ElementSize() : s.Numel;
        // Validate the view before any data is touched: every element it addresses must lie inside the storage,
        // and the copy it needs must fit in one array (a stride-0 view can claim any size).
        string view = $"tensor [{string.Join(", ", sizes)}] (offset {off}, strides [{string.Join(", ", strides)}]) on storage '{s.Key}'";
        try
        {
            long last = off, count = 1;
            for (int d = 0; d < sizes.Length; d++)
            {
                if (sizes[d] < 0 || strides[d] < 0) throw Error($"REDUCE at byte {opPos}: negative size or stride in {view}");
                count = checked(count * sizes[d]);
                if (sizes[d] > 0) last = checked(last + (sizes[d] - 1) * strides[d]);
            }
            if (off < 0 || (count > 0 && last >= storageElements))
                throw Error($"REDUCE at byte {opPos}: {view} reaches past the end of the storage ({storageElements} elements)");
            if (checked(count * dtype.ElementSize()) > Array.MaxLength)
                throw Error($"REDUCE at byte {opPos}: {view} is larger than one .NET array can hold");
            // A view repeating elements (stride 0) would be copied out in full: bound it by its storage.
            if (count > storageElements && checked(count * dtype.ElementSize()) > MaxRepeatingViewBytes)
                throw Error($"REDUCE at byte {opPos}: {view} addresses {count} elements of a {storageElements}-element storage (a repeating view too large to copy out)");
            if (count > 0) s.RequiredBytes = Math.Max(s.RequiredBytes, checked((last + 1) * dtype.ElementSize()));
        }
        catch (OverflowException)
        {
            throw Error($"REDUCE at byte {opPos}: {view} has an impossible size");
        }
        return new TensorRef { Storage = s, DType = dtype, Offset = off, Size = sizes, Stride = strides };
    }

    private void Build(object? target, object? state, int opPos)
    {
        // OrderedDict state dicts carry `_metadata` (per-module version info) as an instance attribute.
        if (target is PyDict d && state is PyDict s)
        {
            d.Attributes ??= new Dictionary<string, object?>();
            foreach (var (k, v) in s.Items)
                d.Attributes[k as string ?? throw Error($"BUILD at byte {opPos}: attribute name is a {Describe(k)}")] = v;
            return;
        }
        if (target is TensorRef && state is null) return;
        throw Error($"BUILD at byte {opPos}: cannot set state {Describe(state)} on a {Describe(target)}");
    }

    private object? PersistentLoad(object? pid, int opPos)
    {
        if (_persistentLoad == null) throw Error($"BINPERSID at byte {opPos}: this pickle refers to external storage, but it is not inside a checkpoint archive");
        if (pid is not object?[] t) throw Error($"BINPERSID at byte {opPos}: persistent id is a {Describe(pid)}, not a tuple");
        try { return _persistentLoad(t); }
        catch (InvalidDataException e) { throw Error($"BINPERSID at byte {opPos}: {e.Message}"); }
    }

    private void SetItems(PyDict d, List<object?> items, int opPos)
    {
        if (items.Count % 2 != 0) throw Error($"dict items at byte {opPos} have an odd count");
        for (int i = 0; i < items.Count; i += 2)
        {
            var key = items[i] ?? throw Error($"dict key None at byte {opPos} is not supported");
            if (key is PyDict or List<object?>) throw Error($"dict key at byte {opPos} is unhashable ({Describe(key)})");
            d.Items[key] = items[i + 1];
        }
    }

    private List<object?> PopMark(int opPos)
    {
        if (_marks.Count == 0) throw Error($"opcode at byte {opPos} needs a MARK but there is none");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private void Push(object? v) => _stack.Add(v);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error($"stack underflow at byte {_pos - 1}");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek(int opPos)
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Error($"stack underflow at byte {opPos}");
        return _stack[^1];
    }

    private object? GetMemo(long index, int opPos) =>
        _memo.TryGetValue(index, out var v) ? v : throw Error($"memo entry {index} read at byte {opPos} was never stored");

    private List<object?> AsList(object? o, int opPos) => o as List<object?> ?? throw Error($"APPEND at byte {opPos} on a {Describe(o)}");
    private PyDict AsDict(object? o, int opPos) => o as PyDict ?? throw Error($"SETITEM at byte {opPos} on a {Describe(o)}");
    private string AsString(object? o, int opPos) => o as string ?? throw Error($"expected a string at byte {opPos}, got a {Describe(o)}");
    private long AsLong(object? o, int opPos) => o is long l ? l : throw Error($"expected an integer at byte {opPos}, got a {Describe(o)}");

    private long[] AsLongs(object? o, string what, int opPos)
    {
        if (o is not object?[] t) throw Error($"tensor {what} at byte {opPos} is a {Describe(o)}, not a tuple");
        return t.Select(x => AsLong(x, opPos)).ToArray();
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of pickle data (truncated file?)");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadBytes(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Error($"unexpected end of pickle data: {n} bytes needed at byte {_pos}, {_data.Length - _pos} left (truncated file?)");
        var span = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return span;
    }

    private long ReadLength(int width)
    {
        var b = ReadBytes(width);
        ulong v = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
        return v > int.MaxValue ? throw Error($"length {v} at byte {_pos - width} is impossibly large") : (long)v;
    }

    private string ReadUtf8(long n)
    {
        try { return new UTF8Encoding(false, true).GetString(ReadBytes(n)); }
        catch (DecoderFallbackException) { throw Error($"invalid UTF-8 string before byte {_pos}"); }
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Error("unexpected end of pickle data inside a GLOBAL");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long ReadLong(long n, int opPos)
    {
        var bytes = ReadBytes(n);
        if (n == 0) return 0;
        if (n > 8) throw Error($"integer of {n} bytes at byte {opPos} does not fit in 64 bits");
        long v = (sbyte)bytes[(int)n - 1]; // sign-extend the most significant byte
        for (int i = (int)n - 2; i >= 0; i--) v = (v << 8) | bytes[i];
        return v;
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        string => "str",
        long => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        object?[] => "tuple",
        List<object?> => "list",
        PyDict d => d.IsOrderedDict ? "OrderedDict" : "dict",
        PickleGlobal g => g.FullName,
        TensorRef => "tensor",
        StorageRef => "storage",
        _ => o.GetType().Name,
    };

    private InvalidDataException Error(string message) => new($"{_source}: {message}.");

    /// <summary>
    /// Converts VM values to plain .NET values: dict → <see cref="Dictionary{String, Object}"/> when every key is a
    /// string, else Dictionary&lt;object, object?&gt;; list → List&lt;object?&gt;; tuple → object?[]; tensors materialised.
    /// Shared references stay shared (so a pickle of repeated references cannot blow up exponentially).
    /// </summary>
    internal static object? ToPlain(object? value, string source) => new PlainConverter(source).Convert(value, 0);

    private sealed class PlainConverter(string source)
    {
        private readonly Dictionary<object, object?> _done = new(ReferenceEqualityComparer.Instance);

        public object? Convert(object? value, int depth)
        {
            if (value is null or string or long or double or bool or byte[]) return value;
            if (depth > MaxDepth) throw new InvalidDataException($"{source}: the pickle nests deeper than {MaxDepth} levels.");
            if (_done.TryGetValue(value, out var done)) return done;
            switch (value)
            {
                case TensorRef t: return _done[value] = t.Materialize();
                case PyDict d when d.Items.Keys.All(k => k is string):
                {
                    var result = new Dictionary<string, object?>(d.Items.Count);
                    _done[value] = result;
                    foreach (var (k, v) in d.Items) result[(string)k] = Convert(v, depth + 1);
                    return result;
                }
                case PyDict d:
                {
                    var result = new Dictionary<object, object?>(d.Items.Count);
                    _done[value] = result;
                    foreach (var (k, v) in d.Items) result[Convert(k, depth + 1)!] = Convert(v, depth + 1);
                    return result;
                }
                case List<object?> l:
                {
                    var result = new List<object?>(l.Count);
                    _done[value] = result;
                    foreach (var x in l) result.Add(Convert(x, depth + 1));
                    return result;
                }
                case object?[] a:
                {
                    var result = new object?[a.Length];
                    _done[value] = result;
                    for (int i = 0; i < a.Length; i++) result[i] = Convert(a[i], depth + 1);
                    return result;
                }
                case PickleGlobal g:
                    return g.Module == "torch" && TensorDTypes.FromTorchDTypeName(g.Name) is { } dt ? dt : g.FullName;
                case StorageRef s:
                    throw new InvalidDataException($"{source}: a bare storage ('{s.Key}') outside a tensor is not supported.");
                default:
                    throw new InvalidDataException($"{source}: unexpected value of type {value.GetType().Name}.");
            }
        }
    }

    internal static bool ContainsTensor(object? value, string source) =>
        ContainsTensor(value, new HashSet<object>(ReferenceEqualityComparer.Instance), source, 0);

    private static bool ContainsTensor(object? value, HashSet<object> seen, string source, int depth)
    {
        if (value is TensorRef or StorageRef) return true;
        if (value is not (PyDict or List<object?> or object?[]) || !seen.Add(value)) return false;
        if (depth > MaxDepth) throw new InvalidDataException($"{source}: the pickle nests deeper than {MaxDepth} levels.");
        return value switch
        {
            PyDict d => d.Items.Any(kv => ContainsTensor(kv.Value, seen, source, depth + 1)),
            List<object?> l => l.Any(x => ContainsTensor(x, seen, source, depth + 1)),
            object?[] a => a.Any(x => ContainsTensor(x, seen, source, depth + 1)),
            _ => false,
        };
    }
}
