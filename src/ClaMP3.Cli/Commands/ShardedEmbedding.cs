using ClaMP3.ML.IO;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// The end of one task of a sharded <c>clamp3 embed --shard I/N</c> run. The per-file outputs are already written
/// (atomically, resumable). With <c>--global</c>, a task that finished every item also writes
/// <c>OUTPUT_DIR/shards/shard-I-of-N.c3index</c> (its vectors and keys, atomically), which <c>clamp3 index build
/// OUTPUT_DIR/shards INDEX</c> merges; a task with a failed item writes no shard file and exits 1, so the scheduler
/// sees the failure and the merge refuses the incomplete set, naming the missing shard.
/// </summary>
internal static class ShardedEmbedding
{
    public static string ShardFolder(string outputDir) => Path.Combine(outputDir, "shards");

    public static int Finish(ShardSpec spec, EmbedCommand.EmbedJobOptions options, FileBatchReport report, int dimension,
        TextWriter stdout, TextWriter stderr)
    {
        if (report.Failed > 0)
        {
            stderr.WriteLine($"error: shard {spec}: {report.Failed} file(s) failed; no shard file written (fix or remove them and rerun this task: finished files are kept).");
            return CliErrors.Failed;
        }
        if (!options.Global) return CliErrors.Ok;
        string path = Path.Combine(ShardFolder(options.OutputDir), VectorIndexBuilder.ShardFileName(spec.Index, spec.Count));
        var outputs = report.Results.Where(r => r.Status is FileBatchStatus.Done or FileBatchStatus.SkippedExisting).Select(r => r.Item.OutputPath);
        int rows = VectorIndexBuilder.WriteShard(options.OutputDir, outputs, dimension, path);
        stdout.WriteLine($"Shard {spec}: {rows} vectors in {path}");
        return CliErrors.Ok;
    }
}
