using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// Row-at-a-time access to a batched transform, for <see cref="PredictionEngine{TSrc,TDst}"/> and for ML.NET's
/// composite mappers: each row is a batch of one, computed at most once per row position.
/// </summary>
internal sealed class BatchedRowMapper<TIn> : IRowToRowMapper
{
    private readonly BatchMapper<TIn> _mapper;

    public BatchedRowMapper(DataViewSchema inputSchema, BatchMapper<TIn> mapper)
    {
        _mapper = mapper;
        InputSchema = inputSchema;
        OutputSchema = BatchedSchema.Build(inputSchema, mapper);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = dependingColumns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]).ToList();
        if (dependingColumns.Any(c => c.Index >= InputSchema.Count))
        {
            var input = InputSchema[_mapper.InputColumnName];
            if (!result.Contains(input)) result.Add(input);
        }
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class MappedRow : DataViewRow
    {
        private readonly BatchedRowMapper<TIn> _parent;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly ValueGetter<TIn>? _inputGetter;
        private object?[]? _values;
        private long _valuesPosition = -1;

        public MappedRow(BatchedRowMapper<TIn> parent, DataViewRow input, HashSet<int> active)
        {
            _parent = parent;
            _input = input;
            _active = active;
            if (active.Any(i => i >= parent.InputSchema.Count))
                _inputGetter = input.GetGetter<TIn>(input.Schema[parent._mapper.InputColumnName]);
        }

        public override DataViewSchema Schema => _parent.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent.InputSchema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent.InputSchema.Count;
            if (column.Index < inputCount) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested from this row.");
            return OutputGetters.Create<TValue>(column, column.Index - inputCount, Current);
        }

        private object?[] Current()
        {
            // A PredictionEngine reuses one row object and moves its position for every prediction.
            if (_values == null || _valuesPosition != _input.Position)
            {
                TIn value = default!;
                _inputGetter!(ref value);
                _values = _parent._mapper.MapBatchSafely(new[] { _parent._mapper.Copy(value) }, new[] { _input.Position })[0];
                _valuesPosition = _input.Position;
            }
            return _values;
        }
    }
}
