using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
        command.SetAction(parse =>
        {
            try
            {
                var q = FeatureFolder.Load(parse.GetValue(queries)!.FullName);
                var r = FeatureFolder.Load(parse.GetValue(references)!.FullName);
                // References: the first file of each key, as the official script.
                if (q.Count == 0 || r.Count == 0) throw new InvalidDataException($"No .npy features in {(q.Count == 0 ? parse.GetValue(queries)!.FullName : parse.GetValue(references)!.FullName)}.");
                var refs = r.GroupBy(f => f.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
                string outDir = parse.GetValue(output)!.FullName;
                Directory.CreateDirectory(outDir);
                var refKeys = refs.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
                var queryKeys = q.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
                var unmatched = q.Where(f => !refKeys.Contains(f.Key)).Select(f => new Dictionary<string, object> { ["unmatched_query"] = f.Path })
                    .Concat(refs.Where(f => !queryKeys.Contains(f.Key)).Select(f => new Dictionary<string, object> { ["unmatched_reference"] = f.Path }))
                    .ToList();
                if (unmatched.Count > 0)
                {
                    string path = Path.Combine(outDir, "unmatched_files.jsonl");
                    AtomicText.Write(path, string.Concat(unmatched.Select(u => JsonSerializer.Serialize(u) + "\n")));
                    Console.Error.WriteLine($"error: there are {unmatched.Count} unmatched query or reference files. Check '{path}' for details.");
                    return 1;
                }
                Console.WriteLine($"There are {refs.Count} common keys between query and reference features.");
                var metrics = RetrievalEvaluator.Evaluate(q.Select(f => (f.Key, f.Vector)).ToList(), refs.Select(f => (f.Key, f.Vector)).ToList(), parse.GetValue(ties));
                var refPath = refs.ToDictionary(f => f.Key, f => f.Path, StringComparer.Ordinal);
                var lines = metrics.Ranks.OrderBy(x => x.Rank)
                    .Select(x => JsonSerializer.Serialize(new { query = q[x.QueryIndex].Path, reference = refPath[x.Key], rank = x.Rank }) + "\n");
                AtomicText.Write(Path.Combine(outDir, "retrieval_ranks.jsonl"), string.Concat(lines));
                string F(double v) => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"Total query features: {metrics.QueryCount}");
                Console.WriteLine($"Total reference features: {metrics.ReferenceCount}");
                Console.WriteLine($"MRR: {F(metrics.MeanReciprocalRank)}");
                Console.WriteLine($"Hit@1: {F(metrics.HitAt1)}");
                Console.WriteLine($"Hit@10: {F(metrics.HitAt10)}");
                Console.WriteLine($"Hit@100: {F(metrics.HitAt100)}");
                Console.WriteLine($"Rank details saved in '{Path.Combine(outDir, "retrieval_ranks.jsonl")}' (ties: {metrics.TieBreaking}).");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        });
        return command;
    }
}
