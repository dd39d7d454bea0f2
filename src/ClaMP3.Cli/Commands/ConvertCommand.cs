using System.CommandLine;
using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 convert NAME INPUT OUTPUT_DIR</c>: one subcommand per <see cref="IFileConverter"/> found in the
/// loaded ClaMP3.ML assemblies (midi2mtf, mtf2midi, and the ABC/MusicXML converters when their assemblies are present).
/// Exit code 0 when every input has its output (converted now or already there), 1 when a file was rejected or there
/// was nothing to convert, 2 on a usage error (input missing); see <see cref="CliErrors"/>.</summary>
public sealed class ConvertCommand : ICliCommand
{
    public const int ExitOk = CliErrors.Ok, ExitNothingConverted = CliErrors.Failed, ExitUsage = CliErrors.Usage;

    public Command Create()
    {
        var convert = new Command("convert",
            "Convert symbolic music files as the official CLaMP 3 preprocessing scripts do, byte for byte (a file or a folder, recursively).");
        foreach (var converter in FileConverterRegistry.Discover())
            convert.Subcommands.Add(CreateSubcommand(converter));
        return convert;
    }

    internal static Command CreateSubcommand(IFileConverter converter)
    {
        var input = new Argument<string>("INPUT") { Description = $"A file or a folder searched recursively for {string.Join(", ", converter.InputExtensions)} (any case)." };
        var output = new Argument<string>("OUTPUT_DIR") { Description = "Where outputs go, mirroring the input's relative folders." };
        var m3 = new Option<bool>("--m3-compatible") { Description = "midi2mtf: drop text-like meta messages, as batch_midi2mtf.py --m3_compatible (what CLaMP 3 was trained on)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing outputs (default: skip them, so an interrupted run resumes)." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Files converted in parallel.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only failures and the summary (no warnings)." };
        var errorLog = new Option<string?>("--error-log") { Description = "Also append \"<input path> <reason>\" per rejected file to this file, like the official logs/*_error_log.txt." };

        var official = new Option<bool>("--official")
        {
            Description = "abc2interleaved: reject what the official script rejects. By default tunes it rejects (no V:1 line, named voices, " +
                          "voices in several blocks) are rewritten by our plain-ABC addition and converted, with a warning; accepted tunes are byte-identical either way.",
        };
        var shard = ShardOption.Create();
        var command = new Command(converter.Name, converter.Description) { input, output, m3, overwrite, jobs, quiet, errorLog, shard };
        if (converter.Name == "abc2interleaved") command.Options.Add(official);
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            string inputPath = parse.GetValue(input)!, outputDir = parse.GetValue(output)!;
            var shardSpec = ShardOption.Parse(parse.GetValue(shard));
            if (!File.Exists(inputPath) && !Directory.Exists(inputPath)) throw new UsageException($"input not found: {inputPath}");
            if (File.Exists(outputDir)) throw new UsageException($"OUTPUT_DIR is a file: {outputDir}");
            var batch = new BatchConverter(converter, new ConverterOptions(parse.GetValue(m3), AcceptPlainAbc: !parse.GetValue(official)))
            {
                Overwrite = parse.GetValue(overwrite), MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(jobs)), Select = ShardSpec.Selector<string>(shardSpec),
            };
            bool quietly = parse.GetValue(quiet);
            batch.FileCompleted += (_, r) => // one at a time, from the converters' worker threads
            {
                if (r.Status == BatchFileStatus.Failed) stderr.WriteLine("rejected: " + FileBatch.FailureLine(r.InputPath, r.Reason ?? "failed"));
                if (!quietly)
                    foreach (var w in r.Warnings) stdout.WriteLine($"{r.InputPath}: {w}");
            };
            var report = batch.Run(inputPath, outputDir);
            if (parse.GetValue(errorLog) is { } log) report.AppendErrorLog(log);
            foreach (var r in report.Skipped.Where(r => r.Status == BatchFileStatus.SkippedCollision))
                stderr.WriteLine($"skipped: {r.InputPath}: {r.Reason}");
            stdout.WriteLine(report.Summary);
            if (report.FilesFound == 0 && shardSpec is null) // a shard may be empty when N exceeds the file count
            {
                stderr.WriteLine($"error: no {string.Join(", ", converter.InputExtensions)} files under {inputPath}");
                return ExitNothingConverted;
            }
            return report.Failed.Count > 0 ? CliErrors.Failed : CliErrors.Ok;
        });
        return command;
    }
}
