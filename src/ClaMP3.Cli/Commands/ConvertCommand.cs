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
        command.SetAction(parse => CliErrors.Guard(parse.InvocationConfiguration.Error, () => Run(converter, parse.GetValue(input)!, parse.GetValue(output)!,
            new ConverterOptions(parse.GetValue(m3), AcceptPlainAbc: !parse.GetValue(official)), parse.GetValue(overwrite), parse.GetValue(jobs), parse.GetValue(quiet),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(errorLog), ShardOption.Parse(parse.GetValue(shard)))));
        return command;
    }

    internal static int Run(IFileConverter converter, string input, string outputDir, ConverterOptions options, bool overwrite,
        int jobs, bool quiet, TextWriter stdout, TextWriter stderr, string? errorLog = null, ShardSpec? shard = null)
    {
        if (!File.Exists(input) && !Directory.Exists(input)) throw new UsageException($"input not found: {input}");
        if (File.Exists(outputDir)) throw new UsageException($"OUTPUT_DIR is a file: {outputDir}");

        var batch = new BatchConverter(converter, options) { Overwrite = overwrite, MaxDegreeOfParallelism = Math.Max(1, jobs), Select = ShardOption.Selector<string>(shard) };
        var gate = new object();
        batch.FileCompleted += (_, r) =>
        {
            lock (gate)
            {
                if (r.Status == BatchFileStatus.Failed) stderr.WriteLine("rejected: " + FileBatch.FailureLine(r.InputPath, r.Reason ?? "failed"));
                if (!quiet)
                    foreach (var w in r.Warnings) stdout.WriteLine($"{r.InputPath}: {w}");
            }
        };
        var report = batch.Run(input, outputDir);
        if (errorLog is not null && report.Failed.Count > 0)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(errorLog)) is { } logDir) Directory.CreateDirectory(logDir);
            File.AppendAllLines(errorLog, report.Failed.Select(r => $"{r.InputPath} {r.Reason}"));
        }

        foreach (var r in report.Skipped.Where(r => r.Status == BatchFileStatus.SkippedCollision))
            stderr.WriteLine($"skipped: {r.InputPath}: {r.Reason}");
        stdout.WriteLine(
            $"{converter.Name}: {report.Converted.Count} converted, " +
            $"{report.Skipped.Count(r => r.Status == BatchFileStatus.SkippedExisting)} already there, " +
            $"{report.Skipped.Count(r => r.Status == BatchFileStatus.SkippedCollision)} name collisions, " +
            $"{report.Failed.Count} rejected, of {report.FilesFound} {string.Join("/", converter.InputExtensions)} files; " +
            $"{report.InputBytes / 1e6:F2} MB in, {report.OutputBytes / 1e6:F2} MB out, {report.Elapsed.TotalSeconds:F2} s → {Path.GetFullPath(outputDir)}");

        if (report.FilesFound == 0 && shard is null) // a shard may be empty when N exceeds the file count
        {
            stderr.WriteLine($"error: no {string.Join(", ", converter.InputExtensions)} files under {input}");
            return ExitNothingConverted;
        }
        return report.Failed.Count > 0 ? CliErrors.Failed : CliErrors.Ok;
    }
}
