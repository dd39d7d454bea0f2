using System.CommandLine;
using System.Globalization;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 search QUERY.npy FEATURES_DIR|INDEX [--top-k K] [--exact]</c>: over a folder, as the official
/// <c>inference/clamp3_search.py</c>; over an index file (<c>clamp3 index build</c>), memory-mapped, through its HNSW
/// graph when it has one. The second argument is an index when it is a file starting with the index magic.</summary>
public sealed class SearchCommand : ICliCommand
{
    public Command Create()
    {
        var query = new Argument<FileInfo>("query") { Description = "A global feature file (.npy, shape (1, D)) of the query." };
        var target = new Argument<string>("features") { Description = "A folder of global feature files (.npy) to rank (not recursive, as the official script), or an index file." };
        var topK = new Option<int>("--top-k") { Description = "How many results to print.", DefaultValueFactory = _ => 10 };
        var exact = new Option<bool>("--exact") { Description = "With an index that has an HNSW graph: scan every vector instead." };
        var command = new Command("search", "Rank a folder of features or an index by cosine similarity to a query (clamp3_search.py).") { query, target, topK, exact };
        command.SetGuardedAction((parse, stdout, _) =>
        {
            var q = FeatureFolder.ReadVector(parse.GetValue(query)!.FullName);
            using var index = EmbeddingIndex.OpenFolderOrFile(parse.GetValue(target)!, new VectorSearchOptions { Approximate = !parse.GetValue(exact) });
            var hits = index.Search(q, Math.Max(1, parse.GetValue(topK)));
            stdout.WriteLine($"Top {hits.Count} results among {index.Count} candidates:");
            foreach (var hit in hits) stdout.WriteLine($"{hit.Id} {Math.Round(hit.Similarity, 4).ToString(CultureInfo.InvariantCulture)}");
            return CliErrors.Ok;
        });
        return command;
    }
}
