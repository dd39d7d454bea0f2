using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// Holds the values of one pass-through column for every row of the current batch. A batched cursor reads ahead,
/// so the upstream getters already point at later rows when a consumer asks for the current one: each active
/// column is copied out as the batch is read (VBuffers and text deeply, since ML.NET reuses their buffers).
/// </summary>
internal abstract class RowCache
{
    public abstract void Capture(int slot);
    public abstract Delegate CreateGetter(Func<int> currentSlot);

    public static RowCache Create(DataViewRowCursor source, DataViewSchema.Column column, int capacity)
    {
        Type raw = column.Type.RawType;
        Type cacheType = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VBufferCache<>).MakeGenericType(raw.GetGenericArguments()[0])
            : raw == typeof(ReadOnlyMemory<char>) ? typeof(TextCache)
            : typeof(ValueCache<>).MakeGenericType(raw);
        return (RowCache)Activator.CreateInstance(cacheType, source, column, capacity)!;
    }

    private sealed class ValueCache<T> : RowCache
    {
        private readonly ValueGetter<T> _source;
        private readonly T[] _values;

        public ValueCache(DataViewRowCursor source, DataViewSchema.Column column, int capacity)
        {
            _source = source.GetGetter<T>(column);
            _values = new T[capacity];
        }

        public override void Capture(int slot) => _source(ref _values[slot]);

        public override Delegate CreateGetter(Func<int> currentSlot) =>
            new ValueGetter<T>((ref T value) => value = _values[currentSlot()]);
    }

    private sealed class TextCache : RowCache
    {
        private readonly ValueGetter<ReadOnlyMemory<char>> _source;
        private readonly ReadOnlyMemory<char>[] _values;

        public TextCache(DataViewRowCursor source, DataViewSchema.Column column, int capacity)
        {
            _source = source.GetGetter<ReadOnlyMemory<char>>(column);
            _values = new ReadOnlyMemory<char>[capacity];
        }

        public override void Capture(int slot)
        {
            ReadOnlyMemory<char> value = default;
            _source(ref value);
            _values[slot] = value.ToArray(); // the loader may reuse the memory behind it
        }

        public override Delegate CreateGetter(Func<int> currentSlot) =>
            new ValueGetter<ReadOnlyMemory<char>>((ref ReadOnlyMemory<char> value) => value = _values[currentSlot()]);
    }

    private sealed class VBufferCache<T> : RowCache
    {
        private readonly ValueGetter<VBuffer<T>> _source;
        private readonly VBuffer<T>[] _values;
        private VBuffer<T> _scratch;

        public VBufferCache(DataViewRowCursor source, DataViewSchema.Column column, int capacity)
        {
            _source = source.GetGetter<VBuffer<T>>(column);
            _values = new VBuffer<T>[capacity];
        }

        public override void Capture(int slot)
        {
            _source(ref _scratch);
            _scratch.CopyTo(ref _values[slot]);
        }

        public override Delegate CreateGetter(Func<int> currentSlot) =>
            new ValueGetter<VBuffer<T>>((ref VBuffer<T> value) => _values[currentSlot()].CopyTo(ref value));
    }
}
