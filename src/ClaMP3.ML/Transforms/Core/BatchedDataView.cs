using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// The lazy result of a batched transform: the input's columns plus the mapper's outputs. A cursor reads
/// the mapper's batch size rows ahead, maps them in one call (one forward pass) and then serves
/// them one by one, in order, with the usual getters. Rows are never shuffled by this view.
/// </summary>
internal sealed class BatchedDataView<TIn> : IDataView
{
    private readonly IDataView _input;
    private readonly BatchMapper<TIn> _mapper;

    public BatchedDataView(IDataView input, BatchMapper<TIn> mapper)
    {
        _input = input;
        _mapper = mapper;
        Schema = BatchedSchema.Build(input.Schema, mapper);
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = _input.Schema.Count;
        bool anyOutput = needed.Any(i => i >= inputCount);
        var inputColumn = _input.Schema[_mapper.InputColumnName];
        var upstream = needed.Where(i => i < inputCount).Select(i => _input.Schema[i]).ToList();
        if (anyOutput && !upstream.Contains(inputColumn)) upstream.Add(inputColumn);
        var source = _input.GetRowCursor(upstream);
        if (!anyOutput) return new PassThroughCursor(source, Schema, inputCount);
        return new Cursor(this, source, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Only input columns are needed: the input cursor, seen through the wider schema.</summary>
    private sealed class PassThroughCursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _source;
        private readonly int _inputCount;

        public PassThroughCursor(DataViewRowCursor source, DataViewSchema schema, int inputCount)
        {
            _source = source;
            Schema = schema;
            _inputCount = inputCount;
        }

        public override DataViewSchema Schema { get; }
        public override long Position => _source.Position;
        public override long Batch => _source.Batch;
        public override bool MoveNext() => _source.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => _source.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _inputCount && _source.IsColumnActive(_source.Schema[column.Index]);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index >= _inputCount) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return _source.GetGetter<TValue>(_source.Schema[column.Index]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _source.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView<TIn> _parent;
        private readonly DataViewRowCursor _source;
        private readonly ValueGetter<TIn> _inputGetter;
        private readonly ValueGetter<DataViewRowId> _sourceId;
        private readonly Dictionary<int, RowCache> _caches = new();
        private readonly HashSet<int> _active;
        private readonly DataViewRowId[] _ids;
        private readonly List<TIn> _inputs = new();
        private readonly List<long> _positions = new();
        private object?[][] _results = Array.Empty<object?[]>();
        private int _slot = -1;
        private int _filled;
        private long _position = -1;
        private bool _sourceDone;

        public Cursor(BatchedDataView<TIn> parent, DataViewRowCursor source, HashSet<int> active)
        {
            _parent = parent;
            _source = source;
            _active = active;
            int capacity = parent._mapper.BatchSize;
            var inputSchema = parent._input.Schema;
            _inputGetter = source.GetGetter<TIn>(inputSchema[parent._mapper.InputColumnName]);
            _sourceId = source.GetIdGetter();
            _ids = new DataViewRowId[capacity];
            foreach (int i in active.Where(i => i < inputSchema.Count))
                _caches[i] = RowCache.Create(source, inputSchema[i], capacity);
        }

        public override DataViewSchema Schema => _parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_slot + 1 < _filled)
            {
                _slot++;
                _position++;
                return true;
            }
            if (_sourceDone || !ReadBatch()) return false;
            _slot = 0;
            _position++;
            return true;
        }

        private bool ReadBatch()
        {
            var mapper = _parent._mapper;
            _inputs.Clear();
            _positions.Clear();
            while (_inputs.Count < mapper.BatchSize)
            {
                if (!_source.MoveNext())
                {
                    _sourceDone = true;
                    break;
                }
                int slot = _inputs.Count;
                foreach (var cache in _caches.Values) cache.Capture(slot);
                _sourceId(ref _ids[slot]);
                TIn value = default!;
                _inputGetter(ref value);
                _inputs.Add(mapper.Copy(value));
                _positions.Add(_position + 1 + slot);
            }
            _filled = _inputs.Count;
            if (_filled == 0) return false;
            _results = mapper.MapBatchSafely(_inputs, _positions);
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[_slot];

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent._input.Schema.Count;
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            if (column.Index < inputCount)
            {
                var getter = _caches[column.Index].CreateGetter(() => _slot);
                return getter as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}, not {typeof(TValue).Name}.");
            }
            return OutputGetters.Create<TValue>(column, column.Index - inputCount, () => _results[_slot]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _source.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>Output schema of a batched transform: the input's columns, then the mapper's (hiding same-named inputs).</summary>
internal static class BatchedSchema
{
    public static DataViewSchema Build(DataViewSchema input, BatchMapperBase mapper)
    {
        var column = input.GetColumnOrNull(mapper.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input),
                $"Input column '{mapper.InputColumnName}' not found. Columns: {string.Join(", ", input.Select(c => c.Name))}.");
        mapper.CheckInputType(column.Type);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var output in mapper.Outputs)
        {
            DataViewSchema.Annotations? annotations = null;
            if (output.AddAnnotations != null)
            {
                var annotationBuilder = new DataViewSchema.Annotations.Builder();
                output.AddAnnotations(annotationBuilder);
                annotations = annotationBuilder.ToAnnotations();
            }
            builder.AddColumn(output.Name, output.Type, annotations);
        }
        return builder.ToSchema();
    }
}

/// <summary>Typed getters over the mapped values of the current row.</summary>
internal static class OutputGetters
{
    public static ValueGetter<TValue> Create<TValue>(DataViewSchema.Column column, int outputIndex, Func<object?[]> currentRow)
    {
        if (column.Type.RawType != typeof(TValue))
            throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}, not {typeof(TValue).Name}.");
        if (typeof(TValue) == typeof(VBuffer<float>))
        {
            // Copy into the caller's buffer: handing out our array would let a consumer that reuses buffers overwrite it.
            ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
            {
                var source = (float[])currentRow()[outputIndex]!;
                var editor = VBufferEditor.Create(ref value, source.Length);
                source.AsSpan().CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)vector;
        }
        return (ref TValue value) => value = (TValue)currentRow()[outputIndex]!;
    }
}
