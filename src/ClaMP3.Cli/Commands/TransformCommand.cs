using System.CommandLine;
using ClaMP3.ML.IO;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 transform MODEL.zip INPUT.tsv OUTPUT.tsv</c>: scores a pipeline saved with <c>SaveClamp3</c> (CLaMP 3
/// transforms plus any ML.NET transforms and trainers) on a tab-separated file whose header names the pipeline's text
/// input columns. Text input columns the file lacks (a label column, when only scoring) are read as empty. Production
/// scoring without writing code, and a check that a saved model works in a new process.</summary>
public sealed class TransformCommand : ICliCommand
{
    /// <summary>Input columns kept in the default output so that rows can be matched back.</summary>
    private static readonly string[] IdColumnNames = ["Id", "Key", "Name", "Path", "File", "FileName"];

    public Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A pipeline saved with mlContext.Model.SaveClamp3." };
        var input = new Argument<FileInfo>("input") { Description = "A .tsv with a header row; the pipeline's input columns must be text. Columns used only for training (the label) may be absent." };
        var output = new Argument<FileInfo>("output") { Description = "The .tsv to write (atomically): one header cell per value (Score.jig, Features.0, …)." };
        var columns = new Option<string[]>("--columns")
        {
            Description = "Output columns to write, comma-separated or repeated (--columns Id,PredictedLabel or --columns Id --columns Score). " +
                          "Default: id-like input columns (Id, Key, Name, Path, File) and the columns the pipeline adds, without the long music/text columns its converters make.",
            AllowMultipleArgumentsPerToken = true,
        };
        var weights = new Option<DirectoryInfo?>("--weights-dir") { Description = "Where to look for weights the model file references but does not include." };
        var device = new Option<string?>("--device") { Description = "Override the saved device (cpu, cuda, cuda:N)." };
        var command = new Command("transform", "Apply a saved ClaMP3.ML pipeline to a TSV file.") { model, input, output, columns, weights, device };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            var ml = new MLContext(seed: 0);
            string modelPath = parse.GetValue(model)!.FullName;
            DataViewSchema inputSchema = null!;
            var pipeline = CliErrors.Start(modelPath, () => ml.Model.LoadClamp3(modelPath, out inputSchema, new Clamp3LoadOptions
            {
                WeightsDirectory = parse.GetValue(weights)?.FullName,
                Device = parse.GetValue(device),
            }));
            string inputPath = parse.GetValue(input)!.FullName;
            var (data, header) = LoadInput(ml, inputPath, inputSchema, stderr);
            var scored = pipeline.Transform(data);
            var wanted = SplitList(parse.GetValue(columns)) is { Count: > 0 } names ? names : DefaultColumns(pipeline, scored, header, inputSchema);
            string outPath = parse.GetValue(output)!.FullName;
            AtomicFile.Write(outPath, stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                DataViewTsv.Write(scored, wanted, writer);
            });
            stdout.WriteLine($"{outPath}: {string.Join(", ", wanted)}");
            return CliErrors.Ok;
        });
        return command;
    }

    /// <summary>"a,b" and repeated flags alike.</summary>
    internal static List<string> SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    /// <summary>The TSV's columns that the saved input schema names, read as text. A text column the file lacks is read
    /// from past the last field (empty text: a label is only needed for training); a non-text one is left out, and if
    /// the pipeline really needs it, ML.NET's own "column not found" error says so.</summary>
    private static (IDataView Data, string[] Header) LoadInput(MLContext ml, string inputPath, DataViewSchema inputSchema, TextWriter stderr)
    {
        var header = File.ReadLines(inputPath).FirstOrDefault()?.Split('\t')
            ?? throw new InvalidDataException($"{inputPath}: empty file (a header row is needed).");
        if (!inputSchema.Any(c => header.Contains(c.Name)))
            throw new InvalidDataException($"{inputPath}: the header ({string.Join(", ", header)}) names none of the pipeline's input columns ({string.Join(", ", inputSchema.Select(c => c.Name))}).");
        var loaderColumns = new List<TextLoader.Column>();
        int absent = header.Length;
        foreach (var column in inputSchema)
        {
            int index = Array.IndexOf(header, column.Name);
            if (column.Type is not TextDataViewType)
            {
                if (index < 0) continue;
                throw new InvalidDataException($"{inputPath}: input column '{column.Name}' is {column.Type}; this command reads text columns only.");
            }
            if (index < 0)
            {
                stderr.WriteLine($"note: {inputPath} has no column '{column.Name}': read as empty (fine for a label when only scoring).");
                index = absent++;
            }
            loaderColumns.Add(new TextLoader.Column(column.Name, DataKind.String, index));
        }
        return (ml.Data.LoadFromTextFile(inputPath, loaderColumns.ToArray(), separatorChar: '\t', hasHeader: true, allowQuoting: true), header);
    }

    private static List<string> DefaultColumns(ITransformer pipeline, IDataView scored, string[] header, DataViewSchema inputSchema)
    {
        var converted = (pipeline as IEnumerable<ITransformer> ?? [pipeline]).OfType<Clamp3ConversionTransformer>()
            .Select(t => t.Options.OutputColumnName).ToHashSet(StringComparer.Ordinal);
        var ids = header.Where(h => IdColumnNames.Contains(h, StringComparer.OrdinalIgnoreCase) && scored.Schema.GetColumnOrNull(h) is not null);
        var added = scored.Schema.Where(c => !c.IsHidden && inputSchema.GetColumnOrNull(c.Name) is null && !converted.Contains(c.Name)).Select(c => c.Name);
        return ids.Concat(added).Distinct().ToList();
    }
}
