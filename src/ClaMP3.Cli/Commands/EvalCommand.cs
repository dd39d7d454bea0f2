using System.CommandLine;
using System.Globalization;
using ClaMP3.ML.Retrieval;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 eval QUERY_DIR REFERENCE_DIR</c>: MRR and Hit@k, as the official <c>inference/clamp3_eval.py</c>.</summary>
public sealed class EvalCommand : ICliCommand
{
    public Command Create()
    {
        var queries = new Argument<DirectoryInfo>("queries") { Description = "Folder of query features (.npy, recursive); several queries may share a key." };
        var references = new Argument<DirectoryInfo>("references") { Description = "Folder of reference features (.npy, recursive); one per key." };
        var output = new Option<DirectoryInfo>("--output-dir") { Description = "Where retrieval_ranks.jsonl (and unmatched_files.jsonl) are written.", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var ties = new Option<TieBreaking>("--ties") { Description = "Official: ties favour the correct item (as clamp3_eval.py). Pessimistic: the honest worst case.", DefaultValueFactory = _ => TieBreaking.Official };
        var command = new Command("eval", "Retrieval metrics between query and reference features (clamp3_eval.py).") { queries, references, output, ties };
        command.SetGuardedAction((parse, stdout, stderr) =>
        {
            var q = FeatureFolder.Load(parse.GetValue(queries)!.FullName);
            var r = FeatureFolder.Load(parse.GetValue(references)!.FullName);
            if (q.Count == 0 || r.Count == 0) throw new InvalidDataException($"No .npy features in {(q.Count == 0 ? parse.GetValue(queries)!.FullName : parse.GetValue(references)!.FullName)}.");
            string outDir = parse.GetValue(output)!.FullName;
            var match = FeatureMatching.Match(q, r);
            if (match.UnmatchedCount > 0)
            {
                string path = RetrievalJsonl.WriteUnmatched(match, outDir);
                stderr.WriteLine($"error: there are {match.UnmatchedCount} unmatched query or reference files. Check '{path}' for details.");
                return CliErrors.Failed;
            }
            stdout.WriteLine($"There are {match.References.Count} common keys between query and reference features.");
            var metrics = FeatureMatching.Evaluate(match, parse.GetValue(ties));
            string ranksPath = RetrievalJsonl.WriteRanks(metrics, match, outDir);
            string F(double v) => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture);
            stdout.WriteLine($"Total query features: {metrics.QueryCount}");
            stdout.WriteLine($"Total reference features: {metrics.ReferenceCount}");
            stdout.WriteLine($"MRR: {F(metrics.MeanReciprocalRank)}");
            stdout.WriteLine($"Hit@1: {F(metrics.HitAt1)}");
            stdout.WriteLine($"Hit@10: {F(metrics.HitAt10)}");
            stdout.WriteLine($"Hit@100: {F(metrics.HitAt100)}");
            stdout.WriteLine($"Rank details saved in '{ranksPath}' (ties: {metrics.TieBreaking}).");
            return CliErrors.Ok;
        });
        return command;
    }
}
