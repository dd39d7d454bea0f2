using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.Cli.Commands;

/// <summary>
/// <c>clamp3 index build FEATURES_DIR|SHARDS INDEX [--ann] [--float16]</c>: a persistent vector index from the
/// global features <c>clamp3 embed --global</c> wrote (a folder of <c>.npy</c>), or from the shard files of a sharded
/// run (the folder holding the <c>shard-I-of-N.c3index</c> files), merged. Search it with <c>clamp3 search QUERY.npy INDEX</c>.
/// </summary>
public sealed class IndexCommand : ICliCommand
{
    public Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A folder of .npy global features (searched recursively), or the folder holding a sharded run's shard-I-of-N.c3index files (OUTPUT_DIR/shards)." };
        var output = new Argument<string>("INDEX") { Description = "The index file to write (the HNSW graph goes beside it as INDEX.hnsw)." };
        var ann = new Option<bool>("--ann") { Description = "Also build an HNSW graph (USearch) for approximate search." };
        var float16 = new Option<bool>("--float16") { Description = "Store vectors in float16 (half the size; similarities to about 1e-3)." };
        var build = new Command("build", "Build a vector index from feature folders or shard files.") { input, output, ann, float16 };
        build.SetGuardedAction((parse, stdout, stderr) =>
        {
            var clock = Stopwatch.StartNew();
            string index = parse.GetValue(output)!;
            bool graph = parse.GetValue(ann);
            // Skipped (unreadable) feature files are reported one line each and make the exit code 1; the index holds the rest.
            var report = VectorIndexBuilder.Build([parse.GetValue(input)!], index, graph ? new HnswBuildOptions() : null,
                parse.GetValue(float16) ? VectorElement.Float16 : VectorElement.Float32, stderr);
            stdout.WriteLine($"Indexed {report.Rows} vectors of {report.Dimension}{(report.Shards > 0 ? $" from {report.Shards} shards" : "")}" +
                $"{(graph ? " with an HNSW graph" : "")} into {index} in {clock.Elapsed.TotalSeconds:F1} s; {report.Skipped.Count} skipped.");
            return report.Skipped.Count == 0 ? CliErrors.Ok : CliErrors.Failed;
        });
        return new Command("index", "Persistent vector indexes (exact and HNSW).") { build };
    }
}
