using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>An output column of a batched transform: its name and ML.NET type, and annotations (e.g. slot names).</summary>
public sealed class MappedColumn
{
    public MappedColumn(string name, DataViewType type, Action<DataViewSchema.Annotations.Builder>? annotations = null)
    {
        Name = name;
        Type = type;
        AddAnnotations = annotations;
    }

    public string Name { get; }
    public DataViewType Type { get; }
    internal Action<DataViewSchema.Annotations.Builder>? AddAnnotations { get; }
}

/// <summary>What to do when one row cannot be mapped (a bad file, an empty score…).</summary>
public enum RowErrorMode
{
    /// <summary>Throw an exception that names the row and the column (default: never silent).</summary>
    Throw,
    /// <summary>Output missing values (NaN-filled vectors, empty text) and log a warning naming the row.</summary>
    MissingValue,
}
