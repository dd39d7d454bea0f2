using System.CommandLine;
using System.Globalization;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 search QUERY.npy FEATURES_DIR [--top-k K]</c>, as the official <c>inference/clamp3_search.py</c>.</summary>
public sealed class SearchCommand : ICliCommand
{
    public Command Create()
    {
        var query = new Argument<FileInfo>("query") { Description = "A global feature file (.npy, shape (1, D)) of the query." };
        var folder = new Argument<DirectoryInfo>("features") { Description = "A folder of global feature files (.npy) to rank (not recursive, as the official script)." };
        var topK = new Option<int>("--top-k") { Description = "How many results to print.", DefaultValueFactory = _ => 10 };
        var command = new Command("search", "Rank a folder of features by cosine similarity to a query (clamp3_search.py).") { query, folder, topK };
        command.SetGuardedAction((parse, stdout, _) =>
        {
            var q = FeatureFolder.ReadVector(parse.GetValue(query)!.FullName);
            var items = FeatureFolder.Load(parse.GetValue(folder)!.FullName, recursive: false);
            if (items.Count == 0) throw new InvalidDataException($"No .npy files in {parse.GetValue(folder)!.FullName}.");
            var index = EmbeddingIndex.Build(FeatureMatching.ByFileNameKey(items));
            var hits = index.Search(q, Math.Max(1, parse.GetValue(topK)));
            stdout.WriteLine($"Top {hits.Count} results among {index.Count} candidates:");
            foreach (var hit in hits) stdout.WriteLine($"{hit.Id} {Math.Round(hit.Similarity, 4).ToString(CultureInfo.InvariantCulture)}");
            return CliErrors.Ok;
        });
        return command;
    }
}
