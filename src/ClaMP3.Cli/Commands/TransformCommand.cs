using System.CommandLine;
using ClaMP3.ML.IO;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 transform MODEL.zip INPUT.tsv OUTPUT.tsv</c>: scores a pipeline saved with <c>SaveClamp3</c> (CLaMP 3
/// transforms plus any ML.NET transforms and trainers) on a tab-separated file whose header names the pipeline's text
/// input columns. Production scoring without writing code, and a check that a saved model works in a new process.</summary>
public sealed class TransformCommand : ICliCommand
{
    public Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A pipeline saved with mlContext.Model.SaveClamp3." };
        var input = new Argument<FileInfo>("input") { Description = "A .tsv with a header row; the pipeline's input columns must be text." };
        var output = new Argument<FileInfo>("output") { Description = "The .tsv to write (atomically)." };
        var columns = new Option<string[]>("--columns") { Description = "Output columns to write (default: all).", AllowMultipleArgumentsPerToken = true };
        var weights = new Option<DirectoryInfo?>("--weights-dir") { Description = "Where to look for weights the model file references but does not include." };
        var device = new Option<string?>("--device") { Description = "Override the saved device (cpu, cuda, cuda:N)." };
        var command = new Command("transform", "Apply a saved ClaMP3.ML pipeline to a TSV file.") { model, input, output, columns, weights, device };
        command.SetGuardedAction((parse, stdout, _) =>
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
            var data = LoadInput(ml, inputPath, inputSchema);
            var scored = pipeline.Transform(data);
            var wanted = parse.GetValue(columns) is { Length: > 0 } names ? names : scored.Schema.Where(c => !c.IsHidden).Select(c => c.Name).ToArray();
            var selected = ml.Transforms.SelectColumns(wanted).Fit(scored).Transform(scored);
            string outPath = parse.GetValue(output)!.FullName;
            AtomicFile.Write(outPath, stream => ml.Data.SaveAsText(selected, stream, separatorChar: '\t', headerRow: true, schema: false));
            stdout.WriteLine($"{outPath}: {string.Join(", ", wanted)}");
            return CliErrors.Ok;
        });
        return command;
    }

    /// <summary>The TSV's columns that the saved input schema names, read as text; a column the pipeline really needs
    /// but the file lacks fails later with ML.NET's own "column not found" error.</summary>
    private static IDataView LoadInput(MLContext ml, string inputPath, DataViewSchema inputSchema)
    {
        var header = File.ReadLines(inputPath).FirstOrDefault()?.Split('\t')
            ?? throw new InvalidDataException($"{inputPath}: empty file (a header row is needed).");
        var loaderColumns = new List<TextLoader.Column>();
        foreach (var column in inputSchema)
        {
            int index = Array.IndexOf(header, column.Name);
            if (index < 0) continue;
            if (column.Type is not TextDataViewType)
                throw new InvalidDataException($"{inputPath}: input column '{column.Name}' is {column.Type}; this command reads text columns only.");
            loaderColumns.Add(new TextLoader.Column(column.Name, DataKind.String, index));
        }
        if (loaderColumns.Count == 0)
            throw new InvalidDataException($"{inputPath}: the header ({string.Join(", ", header)}) names none of the pipeline's input columns ({string.Join(", ", inputSchema.Select(c => c.Name))}).");
        return ml.Data.LoadFromTextFile(inputPath, loaderColumns.ToArray(), separatorChar: '\t', hasHeader: true, allowQuoting: true);
    }
}
