using System.CommandLine;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// <c>clamp3 embed INPUT OUTPUT_DIR --checkpoint FILE</c>: the official <c>extract_clamp3.py</c>, run by
/// <see cref="Clamp3EmbedJob"/>. INPUT is a file or a folder walked recursively for <c>.txt .abc .mtf .npy</c> (MERT
/// features); each output is <c>OUTPUT_DIR/&lt;relative path&gt;/&lt;stem&gt;.npy</c>, float32 <c>(1, D)</c> with
/// <c>--global</c>, else <c>(1, N, H)</c>.
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    public Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A .txt/.abc/.mtf/.npy file, or a folder walked recursively for them." };
        var output = new Argument<string>("OUTPUT_DIR") { Description = "Where <relative path>/<stem>.npy outputs go (existing outputs are skipped)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "CLaMP 3 checkpoint (.pth / .safetensors); with --onnx optional (when given, the folder must come from it)." };
        var config = new Option<string?>("--config") { Description = "config.json (default: a config.json beside the checkpoint naming it, else inferred from the checkpoint)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "XLM-R sentencepiece.bpe.model (default: the config's tokenizer_model); needed for .txt inputs." };
        var global = new Option<bool>("--global") { Description = "Write global features (1, D) instead of sequence features (1, N, H)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var batchSize = new Option<int>("--batch-size") { Description = "Segments per forward pass.", DefaultValueFactory = _ => 8 };
        var bf16 = new Option<bool>("--bf16") { Description = "Compute in bfloat16 (faster on CPUs with BF16 support; not the official float32 numbers)." };
        var mert = new Option<string?>("--mert") { Description = "A MERT-v1-95M folder: also embed audio files (.wav .mp3 .flac .ogg) directly, audio → MERT → CLaMP 3 in one run." };
        var onnx = new Option<string?>("--onnx") { Description = "A folder from `clamp3 export onnx`: run the encoders (and MERT, when exported with --mert) in ONNX Runtime." };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the ONNX Runtime engine (0 = one per core).", DefaultValueFactory = _ => 0 };
        var shard = ShardOption.Create();
        var command = new Command("embed", "Extract CLaMP 3 features like code/extract_clamp3.py.")
        {
            input, output, checkpoint, config, tokenizer, global, device, batchSize, bf16, mert, onnx, threads, shard,
        };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            if (parse.GetValue(batchSize) < 1) throw new UsageException("--batch-size must be at least 1.");
            if (parse.GetValue(checkpoint) is null && parse.GetValue(onnx) is null) throw new UsageException("--checkpoint is required (or --onnx DIR from `clamp3 export onnx`).");
            if (parse.GetValue(threads) < 0) throw new UsageException("--threads must be 0 (one per core) or positive.");
            var model = new Clamp3EmbedderOptions(parse.GetValue(checkpoint) ?? "")
            {
                OnnxDirectory = parse.GetValue(onnx), Threads = parse.GetValue(threads), ConfigPath = parse.GetValue(config), TokenizerPath = parse.GetValue(tokenizer),
                Device = parse.GetValue(device)!, BatchSize = parse.GetValue(batchSize), Precision = parse.GetValue(bf16) ? Clamp3Precision.BFloat16 : Clamp3Precision.Float32,
            };
            return Run(new Clamp3EmbedJobOptions(parse.GetValue(input)!, parse.GetValue(output)!, model)
            {
                Kind = parse.GetValue(global) ? FeatureKind.Global : FeatureKind.Sequence, MertDirectory = parse.GetValue(mert), Shard = ShardOption.Parse(parse.GetValue(shard)),
            }, stdout, stderr);
        });
        return command;
    }

    /// <summary>Plans, loads and runs the job (<see cref="Clamp3EmbedJob"/>), reporting between the steps; the exit code
    /// follows <see cref="CliErrors"/>: 0 every file has its output, 1 a file failed (or none was found), 2 a usage or model error.</summary>
    private static int Run(Clamp3EmbedJobOptions options, TextWriter stdout, TextWriter stderr)
    {
        using var job = CliErrors.Start(null, () => Clamp3EmbedJob.Plan(options));
        int count = job.Batch.Items.Count;
        stdout.WriteLine(options.Shard is not { } spec ? $"Found {count} files in total" : $"Shard {spec}: {count} files (item k of the sorted inputs goes to shard k mod {spec.Count})");
        if (count == 0 && options.Shard is null) return CliErrors.ExitCode(new FileBatchReport([], TimeSpan.Zero), "input files", stderr);
        CliErrors.Start(null, job.Load);
        var report = job.Run(r => CliErrors.Report(r, stderr), line => stderr.WriteLine($"warning: {line}"), stdout.WriteLine);
        if (options.Shard is null) return CliErrors.ExitCode(report, "input files", stderr);
        // A failed item fails the task (an exception: exit 1); with --global a complete task writes its shard file.
        if (job.FinishShard(report) is { } written) stdout.WriteLine($"Shard {options.Shard}: {written.Rows} vectors in {written.Path}");
        return CliErrors.Ok;
    }
}
