using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.IO;

/// <summary>
/// Writes chosen columns of an <see cref="IDataView"/> as a tab-separated file a person can read: one header cell per
/// value (a vector column <c>Score</c> with slot names becomes <c>Score.jig</c>, <c>Score.reel</c>, …; without slot names
/// <c>Features.0</c>, <c>Features.1</c>, …), key columns as their values (the label text), floats in round-trip form,
/// text cells with a tab, newline or quote quoted as in CSV. (ML.NET's own <c>SaveAsText</c> writes a vector as one
/// header cell over many values.) Reads such files back as text columns (<see cref="Read"/>).
/// </summary>
public static class DataViewTsv
{
    /// <summary>Writes <paramref name="columns"/> (in that order) of <paramref name="data"/> to <paramref name="writer"/>.</summary>
    public static void Write(IDataView data, IReadOnlyList<string> columns, TextWriter writer)
    {
        var cols = columns.Select(name => data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"no column '{name}' in the output (columns: {string.Join(", ", data.Schema.Where(c => !c.IsHidden).Select(c => c.Name))})")).ToList();
        using var cursor = data.GetRowCursor(cols);
        var cells = cols.Select(c => CellReader(cursor, c)).ToList();
        writer.WriteLine(string.Join('\t', cols.SelectMany(Header).Select(Escape)));
        var line = new List<string>();
        while (cursor.MoveNext())
        {
            line.Clear();
            foreach (var read in cells) read(line);
            writer.WriteLine(string.Join('\t', line));
        }
    }

    /// <summary>Reads the columns of the tab-separated file <paramref name="path"/> (header row, CSV-style quoting) that
    /// <paramref name="inputSchema"/> names, as text. A text column the file lacks is read from past the last field
    /// (empty text: a label is only needed for training), with a line to <paramref name="note"/>; a non-text column is
    /// left out when the file lacks it (if the pipeline needs it, ML.NET's own "column not found" says so) and refused
    /// when the file has it. Returns the data and the file's header cells.</summary>
    /// <exception cref="InvalidDataException">The file is empty, its header names none of the schema's columns, or it
    /// has a non-text schema column.</exception>
    public static (IDataView Data, IReadOnlyList<string> Header) Read(MLContext ml, string path, DataViewSchema inputSchema, Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var header = File.ReadLines(path).FirstOrDefault()?.Split('\t')
            ?? throw new InvalidDataException($"{path}: empty file (a header row is needed).");
        if (!inputSchema.Any(c => header.Contains(c.Name)))
            throw new InvalidDataException($"{path}: the header ({string.Join(", ", header)}) names none of the pipeline's input columns ({string.Join(", ", inputSchema.Select(c => c.Name))}).");
        var loaderColumns = new List<TextLoader.Column>();
        int absent = header.Length;
        foreach (var column in inputSchema)
        {
            int index = Array.IndexOf(header, column.Name);
            if (column.Type is not TextDataViewType)
            {
                if (index < 0) continue;
                throw new InvalidDataException($"{path}: input column '{column.Name}' is {column.Type}; this command reads text columns only.");
            }
            if (index < 0)
            {
                note?.Invoke($"{path} has no column '{column.Name}': read as empty (fine for a label when only scoring).");
                index = absent++;
            }
            loaderColumns.Add(new TextLoader.Column(column.Name, DataKind.String, index));
        }
        var options = new TextLoader.Options
        {
            Columns = loaderColumns.ToArray(), Separators = ['\t'], HasHeader = true,
            AllowQuoting = true, ReadMultilines = true, // a quoted cell (an ABC score, as Write writes it) may span lines
        };
        return (ml.Data.CreateTextLoader(options).Load(path), header);
    }

    private static IEnumerable<string> Header(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { Size: > 0 } vector) return [column.Name];
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        bool hasSlotNames = column.Annotations.Schema.GetColumnOrNull("SlotNames") is not null;
        if (hasSlotNames) column.GetSlotNames(ref names);
        var dense = hasSlotNames ? names.DenseValues().Select(n => n.ToString()).ToArray() : [];
        return Enumerable.Range(0, vector.Size).Select(i =>
            $"{column.Name}.{(i < dense.Length && dense[i].Length > 0 ? dense[i] : i.ToString(CultureInfo.InvariantCulture))}");
    }

    private static Action<List<string>> CellReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var type = column.Type;
        if (type is VectorDataViewType vector)
        {
            var item = vector.ItemType.RawType;
            if (item == typeof(float)) return VectorReader<float>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture));
            if (item == typeof(double)) return VectorReader<double>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture));
            if (item == typeof(ReadOnlyMemory<char>)) return VectorReader<ReadOnlyMemory<char>>(cursor, column, v => Escape(v.ToString()));
            throw new NotSupportedException($"column '{column.Name}': vectors of {vector.ItemType} are not written");
        }
        if (type is KeyDataViewType) return KeyReader(cursor, column);
        if (type.RawType == typeof(ReadOnlyMemory<char>)) return ScalarReader<ReadOnlyMemory<char>>(cursor, column, v => Escape(v.ToString()));
        if (type.RawType == typeof(float)) return ScalarReader<float>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (type.RawType == typeof(double)) return ScalarReader<double>(cursor, column, v => v.ToString("R", CultureInfo.InvariantCulture));
        if (type.RawType == typeof(bool)) return ScalarReader<bool>(cursor, column, v => v ? "true" : "false");
        if (type.RawType == typeof(int)) return ScalarReader<int>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture));
        if (type.RawType == typeof(long)) return ScalarReader<long>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture));
        throw new NotSupportedException($"column '{column.Name}' of type {type} is not written");
    }

    private static Action<List<string>> ScalarReader<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, string> format)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return line => { getter(ref value); line.Add(format(value)); };
    }

    private static Action<List<string>> VectorReader<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, string> format)
    {
        var getter = cursor.GetGetter<VBuffer<T>>(column);
        var value = default(VBuffer<T>);
        return line => { getter(ref value); foreach (var v in value.DenseValues()) line.Add(format(v)); };
    }

    /// <summary>A key (e.g. <c>PredictedLabel</c> before <c>MapKeyToValue</c>) as its value text; key 0 (missing) is empty.</summary>
    private static Action<List<string>> KeyReader(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<uint>(column);
        string[] labels = [];
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            var values = default(VBuffer<ReadOnlyMemory<char>>);
            column.GetKeyValues(ref values);
            labels = values.DenseValues().Select(v => v.ToString()).ToArray();
        }
        uint key = 0;
        return line =>
        {
            getter(ref key);
            line.Add(key == 0 ? "" : key - 1 < labels.Length ? Escape(labels[key - 1]) : key.ToString(CultureInfo.InvariantCulture));
        };
    }

    private static string Escape(string text) =>
        text.AsSpan().IndexOfAny('\t', '\n', '\r') < 0 && !text.Contains('"') ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
