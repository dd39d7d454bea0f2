using ClaMP3.ML.IO;
using Microsoft.ML;

namespace ClaMP3.ML.Transforms;

/// <summary>A saved pipeline (<see cref="Clamp3ModelFile"/>) applied to a tab-separated file, as <c>clamp3 transform</c>
/// runs it: production scoring without writing code, and a check that a saved model works in a new process.</summary>
public static class Clamp3TsvTransform
{
    /// <summary>Input columns kept in the default output so that rows can be matched back (any case).</summary>
    public static IReadOnlyList<string> IdColumnNames { get; } = ["Id", "Key", "Name", "Path", "File", "FileName"];

    /// <summary>Reads <paramref name="inputPath"/> (<see cref="DataViewTsv.Read"/>: the text columns of
    /// <paramref name="inputSchema"/>), transforms it with <paramref name="pipeline"/> and writes
    /// <paramref name="columns"/> (default: <see cref="DefaultColumns"/>) to <paramref name="outputPath"/> atomically, one
    /// header cell per value (<see cref="DataViewTsv.Write"/>). Returns the columns written.</summary>
    public static IReadOnlyList<string> Apply(MLContext ml, ITransformer pipeline, DataViewSchema inputSchema, string inputPath, string outputPath,
        IReadOnlyList<string>? columns = null, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var (data, header) = DataViewTsv.Read(ml, inputPath, inputSchema, note);
        var scored = pipeline.Transform(data);
        var wanted = columns is { Count: > 0 } ? columns : DefaultColumns(pipeline, scored, header, inputSchema);
        AtomicFile.Write(outputPath, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            DataViewTsv.Write(scored, wanted, writer);
        });
        return wanted;
    }

    /// <summary>The id-like columns of the input file (<see cref="IdColumnNames"/>, in the file's order) and the columns
    /// the pipeline adds, without the long music or text columns its converters (<see cref="Clamp3ConversionTransformer"/>) make.</summary>
    public static IReadOnlyList<string> DefaultColumns(ITransformer pipeline, IDataView scored, IReadOnlyList<string> header, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var converted = (pipeline as IEnumerable<ITransformer> ?? [pipeline]).OfType<Clamp3ConversionTransformer>()
            .Select(t => t.Options.OutputColumnName).ToHashSet(StringComparer.Ordinal);
        var ids = header.Where(h => IdColumnNames.Contains(h, StringComparer.OrdinalIgnoreCase) && scored.Schema.GetColumnOrNull(h) is not null);
        var added = scored.Schema.Where(c => !c.IsHidden && inputSchema.GetColumnOrNull(c.Name) is null && !converted.Contains(c.Name)).Select(c => c.Name);
        return ids.Concat(added).Distinct().ToList();
    }
}
