using System.CommandLine;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 transform MODEL.zip INPUT.tsv OUTPUT.tsv</c>: scores a pipeline saved with <c>SaveClamp3</c> (CLaMP 3
/// transforms plus any ML.NET transforms and trainers) on a tab-separated file whose header names the pipeline's text
/// input columns. Text input columns the file lacks (a label column, when only scoring) are read as empty. Production
/// scoring without writing code, and a check that a saved model works in a new process.</summary>
public sealed class TransformCommand : ICliCommand
{
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
            string outPath = parse.GetValue(output)!.FullName;
            var wanted = Clamp3TsvTransform.Apply(ml, pipeline, inputSchema, parse.GetValue(input)!.FullName, outPath, SplitList(parse.GetValue(columns)),
                line => stderr.WriteLine($"note: {line}"));
            stdout.WriteLine($"{outPath}: {string.Join(", ", wanted)}");
            return CliErrors.Ok;
        });
        return command;
    }

    /// <summary>"a,b" and repeated flags alike.</summary>
    internal static List<string> SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
