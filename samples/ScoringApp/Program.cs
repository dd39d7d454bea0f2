// A production ML.NET app that scores a saved CLaMP 3 model (a standard ML.NET model file made with
// `clamp3 export mlnet` or Clamp3ScoringModel + any ML.NET trainer, saved with mlContext.Model.Save).
//
//   clamp3-score MODEL.zip INPUT.tsv [--columns Features,PredictedLabel] [--out OUT.tsv]
//
// INPUT.tsv: a header line naming the model's input columns (e.g. Text, Music, AudioPath), one row per item; a cell
// may be quoted ("...", with "" for a quote) to hold tabs or newlines.
// Output: a TSV with the chosen columns, one cell per value (Features.0, Features.1, …; floats in "R" format, labels as
// their text), read and written as `clamp3 transform` does (Clamp3TsvTransform, DataViewTsv). Exit code 1 when a row fails
// (one line naming it), 2 on a usage error.
using ClaMP3.ML.IO;
using ClaMP3.ML.Scoring;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

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
    var model = ml.Model.Load(modelPath, out var inputSchema);
    Action<string> note = line => Console.Error.WriteLine($"clamp3-score: {line}");
    if (Option("--out") is { } target) Clamp3TsvTransform.Apply(ml, model, inputSchema, inputPath, target, wanted, note); // written atomically
    else
    {
        var (data, _) = DataViewTsv.Read(ml, inputPath, inputSchema, note);
        DataViewTsv.Write(model.Transform(data), wanted, Console.Out);
    }
    var torch = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.StartsWith("TorchSharp", StringComparison.Ordinal) == true);
    Console.Error.WriteLine($"scored with {(torch ? "TorchSharp loaded" : "no TorchSharp assembly loaded")}");
    return 0;
}
catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException or FormatException or ArgumentException
                              or UnauthorizedAccessException or NotSupportedException)
{
    Console.Error.WriteLine($"clamp3-score: {e.Message}");
    return 1;
}
