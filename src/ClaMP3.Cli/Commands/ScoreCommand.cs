using System.CommandLine;
using System.Globalization;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 score QUERY_DIR REFERENCE_DIR [--group]</c>, as the official <c>inference/clamp3_score.py</c>.</summary>
public sealed class ScoreCommand : ICliCommand
{
    public Command Create()
    {
        var queries = new Argument<DirectoryInfo>("queries") { Description = "Folder of query features (.npy, recursive)." };
        var references = new Argument<DirectoryInfo>("references") { Description = "Folder of reference features (.npy, recursive)." };
        var group = new Option<bool>("--group") { Description = "Cosine similarity of the two folders' mean features instead of per-key pairs." };
        var output = new Option<DirectoryInfo>("--output-dir") { Description = "Where pairwise_similarities.jsonl is written.", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var command = new Command("score", "Similarity between matching query and reference features (clamp3_score.py).") { queries, references, group, output };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            var q = FeatureFolder.Load(parse.GetValue(queries)!.FullName);
            var r = FeatureFolder.Load(parse.GetValue(references)!.FullName);
            string F(double v) => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(group))
            {
                double similarity = FeatureMatching.GroupSimilarity(q, r);
                stdout.WriteLine($"Total query features: {q.Count}");
                stdout.WriteLine($"Total reference features: {r.Count}");
                stdout.WriteLine($"Group similarity: {F(similarity)}");
                return CliErrors.Ok;
            }
            var match = FeatureMatching.Match(q, r);
            if (match.UnmatchedCount > 0) stderr.WriteLine($"warning: {match.UnmatchedCount} unmatched query or reference files were left out.");
            var pairs = FeatureMatching.PairwiseSimilarities(match);
            if (pairs.Count == 0) throw new InvalidDataException("No query has a reference with the same key.");
            RetrievalJsonl.WritePairwise(pairs, parse.GetValue(output)!.FullName);
            stdout.WriteLine($"There are {pairs.Select(p => p.Query.Key).Distinct().Count()} common keys between query and reference features.");
            stdout.WriteLine($"Total query features: {pairs.Count}");
            stdout.WriteLine($"Total reference features: {match.References.Count}");
            stdout.WriteLine($"Avg. pairwise similarity: {F(pairs.Average(p => p.Similarity))}");
            return CliErrors.Ok;
        });
        return command;
    }
}
