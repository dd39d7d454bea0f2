using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
        command.SetAction(parse =>
        {
            try
            {
                var q = FeatureFolder.Load(parse.GetValue(queries)!.FullName);
                var r = FeatureFolder.Load(parse.GetValue(references)!.FullName);
                string F(double v) => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture);
                if (parse.GetValue(group))
                {
                    var meanQ = Mean(q.Select(f => f.Vector).ToList());
                    var meanR = Mean(r.Select(f => f.Vector).ToList());
                    Console.WriteLine($"Total query features: {q.Count}");
                    Console.WriteLine($"Total reference features: {r.Count}");
                    Console.WriteLine($"Group similarity: {F(Similarity.Cosine(meanQ, meanR))}");
                    return 0;
                }
                var refs = r.GroupBy(f => f.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                var matched = q.Where(f => refs.ContainsKey(f.Key)).ToList();
                int unmatched = q.Count(f => !refs.ContainsKey(f.Key)) + refs.Keys.Count(k => q.All(f => f.Key != k));
                if (unmatched > 0) Console.Error.WriteLine($"warning: {unmatched} unmatched query or reference files were left out.");
                if (matched.Count == 0) throw new InvalidDataException("No query has a reference with the same key.");
                var pairs = matched.Select(f => (f, refs[f.Key], s: Similarity.Cosine(f.Vector, refs[f.Key].Vector))).ToList();
                string outDir = parse.GetValue(output)!.FullName;
                Directory.CreateDirectory(outDir);
                AtomicText.Write(Path.Combine(outDir, "pairwise_similarities.jsonl"), string.Concat(pairs.OrderByDescending(p => p.s)
                    .Select(p => JsonSerializer.Serialize(new { query = p.f.Path, reference = p.Item2.Path, similarity = p.s }) + "\n")));
                Console.WriteLine($"There are {pairs.Select(p => p.f.Key).Distinct().Count()} common keys between query and reference features.");
                Console.WriteLine($"Total query features: {pairs.Count}");
                Console.WriteLine($"Total reference features: {refs.Count}");
                Console.WriteLine($"Avg. pairwise similarity: {F(pairs.Average(p => p.s))}");
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

    private static float[] Mean(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) throw new InvalidDataException("No features to average.");
        var mean = new double[vectors[0].Length];
        foreach (var v in vectors)
        {
            if (v.Length != mean.Length) throw new InvalidDataException("Feature files have different sizes.");
            for (int i = 0; i < v.Length; i++) mean[i] += v[i];
        }
        return mean.Select(m => (float)(m / vectors.Count)).ToArray();
    }
}
