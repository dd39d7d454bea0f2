// A production ML.NET app that scores a saved CLaMP 3 model (a standard ML.NET model file made with
// `clamp3 export mlnet` or Clamp3ScoringModel + any ML.NET trainer, saved with mlContext.Model.Save).
//
//   clamp3-score MODEL.zip INPUT.tsv [--columns Features,PredictedLabel] [--out OUT.tsv]
//
// INPUT.tsv: a header line naming the model's input columns (e.g. Text, Music, AudioPath), one row per item; a cell
// may be quoted ("...", with "" for a quote) to hold tabs or newlines.
// Output: a TSV with the chosen columns (float vectors as space-separated numbers, "R" format). Exit code 1 when a row
// fails (one line naming it), 2 on a usage error.
using System.Globalization;
using System.Text;
using ClaMP3.ML.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: clamp3-score MODEL.zip INPUT.tsv [--columns A,B] [--out OUT.tsv]");
    return 2;
}
string modelPath = args[0], inputPath = args[1];
string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
var wanted = (Option("--columns") ?? "Features").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

try
{
    var ml = new MLContext();
    // The CustomMapping contracts (tokenize, patchilize, decode audio) live in the scoring assembly.
    ml.ComponentCatalog.RegisterAssembly(typeof(Clamp3ScoringModel).Assembly);
    var model = ml.Model.Load(modelPath, out _);

    var header = File.ReadLines(inputPath).First().Split('\t');
    var loader = ml.Data.CreateTextLoader(new TextLoader.Options
    {
        Columns = header.Select((name, i) => new TextLoader.Column(name, DataKind.String, i)).ToArray(),
        Separators = new[] { '\t' },
        HasHeader = true,
        AllowQuoting = true,   // "..." cells may hold tabs, newlines (ABC scores) and "" for a quote
        ReadMultilines = true,
    });
    var data = loader.Load(inputPath);
    var scored = model.Transform(data);

    var output = new StringBuilder(string.Join('\t', wanted)).Append('\n');
    using (var cursor = scored.GetRowCursor(scored.Schema.Where(c => wanted.Contains(c.Name))))
    {
        var getters = wanted.Select(name => Getter(cursor, scored.Schema[name])).ToArray();
        while (cursor.MoveNext())
            output.Append(string.Join('\t', getters.Select(g => g()))).Append('\n');
    }
    var target = Option("--out");
    if (target is null) Console.Write(output);
    else File.WriteAllText(target, output.ToString());
    var torch = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("TorchSharp", StringComparison.Ordinal) == true);
    Console.Error.WriteLine($"scored with {(torch ? "TorchSharp loaded" : "no TorchSharp assembly loaded")}");
    return 0;
}
catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"clamp3-score: {e.Message}");
    return 1;
}

static Func<string> Getter(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    var type = column.Type;
    if (type is VectorDataViewType { ItemType: NumberDataViewType n } && n.RawType == typeof(float))
    {
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        return () => { get(ref value); return string.Join(' ', value.DenseValues().Select(v => v.ToString("R", CultureInfo.InvariantCulture))); };
    }
    if (type.RawType == typeof(float))
    {
        var get = cursor.GetGetter<float>(column);
        float value = 0;
        return () => { get(ref value); return value.ToString("R", CultureInfo.InvariantCulture); };
    }
    if (type is TextDataViewType)
    {
        var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        return () => { get(ref value); return value.ToString(); };
    }
    if (type is KeyDataViewType)
    {
        var get = cursor.GetGetter<uint>(column);
        uint value = 0;
        return () => { get(ref value); return value.ToString(CultureInfo.InvariantCulture); };
    }
    throw new InvalidOperationException($"column '{column.Name}' has type {type}, which this app does not print.");
}
