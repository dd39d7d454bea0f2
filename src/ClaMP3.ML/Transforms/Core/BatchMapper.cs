using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// The per-row work of a batched transform, separated from the cursor plumbing: reads one input column, maps many
/// rows at once (a model forward pass over a batch) and returns one value per output column per row.
/// </summary>
/// <typeparam name="TIn">The ML.NET representation of the input column (<see cref="ReadOnlyMemory{T}"/> of char for
/// text, <see cref="VBuffer{T}"/> of float for vectors).</typeparam>
public abstract class BatchMapper<TIn> : BatchMapperBase
{
    protected BatchMapper(string inputColumnName, int batchSize, RowErrorMode errorMode)
        : base(inputColumnName, batchSize, errorMode)
    {
    }

    internal override IDataView CreateView(IDataView input) => new BatchedDataView<TIn>(input, this);

    internal override IRowToRowMapper CreateRowMapper(DataViewSchema inputSchema) => new BatchedRowMapper<TIn>(inputSchema, this);

    /// <summary>Input values are reused by ML.NET cursors: make an independent copy before buffering.</summary>
    public abstract TIn Copy(in TIn value);

    /// <summary>Maps a batch. <paramref name="results"/>[i][c] receives output column c of row i (vector columns as
    /// <c>float[]</c>, text as <see cref="ReadOnlyMemory{T}"/> of char, scalars as their raw type). Throwing
    /// <see cref="RowMappingException"/> marks single rows as bad; anything else fails the whole batch.</summary>
    public abstract void MapBatch(IReadOnlyList<TIn> inputs, IReadOnlyList<long> rowPositions, object?[][] results);

    /// <summary>Maps a batch and applies the error mode row by row, so one bad row never loses its neighbours.</summary>
    internal object?[][] MapBatchSafely(IReadOnlyList<TIn> inputs, IReadOnlyList<long> positions)
    {
        var results = new object?[inputs.Count][];
        for (int i = 0; i < results.Length; i++) results[i] = new object?[Outputs.Count];
        try
        {
            MapBatch(inputs, positions, results);
        }
        catch (RowMappingException) when (inputs.Count > 1)
        {
            // One row is bad: map row by row so the others still get their values, and each bad row its own error.
            for (int i = 0; i < inputs.Count; i++)
            {
                var single = new[] { new object?[Outputs.Count] };
                try
                {
                    MapBatch(new[] { inputs[i] }, new[] { positions[i] }, single);
                    results[i] = single[0];
                }
                catch (RowMappingException e)
                {
                    results[i] = HandleBadRow(positions[i], e);
                }
            }
            return results;
        }
        catch (RowMappingException e)
        {
            results[0] = HandleBadRow(positions[0], e);
        }
        return results;
    }
}

/// <summary>The non-generic face of a <see cref="BatchMapper{TIn}"/>: column names, batch size, outputs.</summary>
public abstract class BatchMapperBase
{
    private protected BatchMapperBase(string inputColumnName, int batchSize, RowErrorMode errorMode)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        InputColumnName = inputColumnName;
        BatchSize = batchSize;
        ErrorMode = errorMode;
    }

    public string InputColumnName { get; }
    public int BatchSize { get; }
    public RowErrorMode ErrorMode { get; }

    /// <summary>The output columns, in order.</summary>
    public abstract IReadOnlyList<MappedColumn> Outputs { get; }

    /// <summary>Throws a clear <see cref="ArgumentOutOfRangeException"/> when the input column has the wrong type.</summary>
    public abstract void CheckInputType(DataViewType type);

    /// <summary>The values a failed row gets under <see cref="RowErrorMode.MissingValue"/>.</summary>
    public abstract object MissingValue(int outputIndex);

    /// <summary>Where warnings go (ML.NET's channel when an MLContext was given, else standard error).</summary>
    public Action<string> Warn { get; set; } = message => Console.Error.WriteLine(message);

    internal abstract IDataView CreateView(IDataView input);
    internal abstract IRowToRowMapper CreateRowMapper(DataViewSchema inputSchema);

    private protected object?[] HandleBadRow(long position, RowMappingException e)
    {
        string message = $"Row {position}, column '{InputColumnName}': {e.Message}";
        if (ErrorMode == RowErrorMode.Throw) throw new InvalidOperationException(message, e);
        Warn("Warning: " + message + " (output set to missing values)");
        var values = new object?[Outputs.Count];
        for (int c = 0; c < values.Length; c++) values[c] = MissingValue(c);
        return values;
    }
}

/// <summary>One input row cannot be mapped; the batch machinery adds the row number and column name.</summary>
public sealed class RowMappingException : Exception
{
    public RowMappingException(string message, Exception? inner = null) : base(message, inner) { }
}
