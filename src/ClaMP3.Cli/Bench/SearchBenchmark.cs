using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ClaMP3.ML.Retrieval.Index;

namespace ClaMP3.Cli.Bench;

/// <summary>
/// <c>clamp3 bench search --items N --dim D --queries Q</c>: builds a vector index of N synthetic clustered vectors
/// (<see cref="ClusteredVectors"/>, seeded) on disk with its HNSW graph, reopens it memory-mapped, and times exact
/// search (all Q queries in one batched pass over the matrix, reported per query) against the index (one query at a
/// time, top 10 candidates re-scored exactly) in the same run. Recall@10 is the mean overlap of the index's top 10
/// with the exact top 10. The last line is machine-readable:
/// <c>search N x D: exact X ms/query, index Y ms/query, Z x faster, recall@10 R</c>.
/// </summary>
public sealed class SearchBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var items = new Option<int>("--items") { Description = "Vectors in the index.", DefaultValueFactory = _ => 200_000 };
        var dim = new Option<int>("--dim") { Description = "Dimension.", DefaultValueFactory = _ => 768 };
        var queries = new Option<int>("--queries") { Description = "Queries timed.", DefaultValueFactory = _ => 200 };
        var clusters = new Option<int?>("--clusters") { Description = "Gaussian clusters (default: items / 1000, at least 10)." };
        var spread = new Option<double>("--spread") { Description = "Per-coordinate noise around a cluster centre (centres are N(0,1)).", DefaultValueFactory = _ => 0.5 };
        var seed = new Option<ulong>("--seed") { Description = "SplitMix64 seed.", DefaultValueFactory = _ => 42UL };
        var candidates = new Option<int>("--candidates") { Description = "HNSW candidates re-scored exactly per query.", DefaultValueFactory = _ => 64 };
        var expansion = new Option<int>("--expansion") { Description = "HNSW search expansion (ef).", DefaultValueFactory = _ => 128 };
        var connectivity = new Option<int>("--connectivity") { Description = "HNSW links per node (M).", DefaultValueFactory = _ => new HnswBuildOptions().Connectivity };
        var expansionAdd = new Option<int>("--expansion-add") { Description = "HNSW build expansion (ef_construction).", DefaultValueFactory = _ => new HnswBuildOptions().ExpansionAdd };
        var float16 = new Option<bool>("--float16") { Description = "Store the matrix in float16 (half the disk and page cache)." };
        var dir = new Option<string?>("--dir") { Description = "Folder for the index files (default: a temporary folder, deleted afterwards)." };
        var command = new Command("search", "Exact vs HNSW index search over synthetic clustered vectors: latency, recall@10, build time.")
        {
            items, dim, queries, clusters, spread, seed, candidates, expansion, connectivity, expansionAdd, float16, dir,
        };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(items), d = parse.GetValue(dim), q = parse.GetValue(queries);
            if (n < 10 || d < 1 || q < 1) { Console.Error.WriteLine("error: need --items >= 10, --dim >= 1, --queries >= 1."); return 2; }
            var gen = new ClusteredVectors(parse.GetValue(seed), d, parse.GetValue(clusters) ?? ClusteredVectors.DefaultClusters(n), parse.GetValue(spread));
            var search = new VectorSearchOptions { Candidates = parse.GetValue(candidates), Expansion = parse.GetValue(expansion) };
            var graph = new HnswBuildOptions { Connectivity = parse.GetValue(connectivity), ExpansionAdd = parse.GetValue(expansionAdd) };
            return Run(gen, n, q, search, graph, parse.GetValue(float16) ? VectorElement.Float16 : VectorElement.Float32, parse.GetValue(dir), Console.Out);
        });
        return command;
    }

    internal static int Run(ClusteredVectors gen, int n, int q, VectorSearchOptions search, HnswBuildOptions graph, VectorElement element, string? dir, TextWriter output)
    {
        string folder = dir ?? Path.Combine(Path.GetTempPath(), "clamp3-bench-search-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, $"synthetic-{n}x{gen.Dimension}.c3index");
            output.WriteLine($"cpu: {Environment.ProcessorCount} cores, {CpuFlags()}");
            output.WriteLine($"data: {n} x {gen.Dimension} {element}, {gen.Clusters} Gaussian clusters, spread {gen.Spread}, seed {gen.Seed}; {q} queries; index at {path}");
            var (writeSeconds, graphSeconds, graphCpu) = Build(gen, n, element, graph, path);
            using var index = VectorIndex.Open(path);
            output.WriteLine($"build: vectors written in {writeSeconds:F1} s, HNSW graph (M {graph.Connectivity}, ef_add {graph.ExpansionAdd}, {graph.Threads} threads, USearch {index.GraphAcceleration}) in {graphSeconds:F1} s ({graphCpu:F1} s of CPU); files {Size(path)} + {Size(VectorIndex.GraphPath(path))}");

            var queries = new float[q][];
            for (int i = 0; i < q; i++) { queries[i] = new float[gen.Dimension]; gen.Query(i, queries[i]); }
            index.SearchExactBatch(queries.Take(Math.Min(q, 4)).ToList(), 10); // warm-up: JIT and page cache
            IReadOnlyList<VectorHit>[] exact = null!;
            var (exactWall, exactCpu) = BenchClock.Measure(() => exact = index.SearchExactBatch(queries, 10));
            double exactMs = exactWall * 1e3 / q, exactCpuMs = exactCpu * 1e3 / q;

            for (int i = 0; i < Math.Min(q, 8); i++) index.Search(queries[i], 10, search); // warm-up
            var approximate = new IReadOnlyList<VectorHit>[q];
            var (indexWall, indexCpu) = BenchClock.Measure(() =>
            {
                for (int i = 0; i < q; i++) approximate[i] = index.Search(queries[i], 10, search);
            });
            double indexMs = indexWall * 1e3 / q, indexCpuMs = indexCpu * 1e3 / q;

            double recall = 0;
            for (int i = 0; i < q; i++)
            {
                var truth = exact[i].Select(h => h.Row).ToHashSet();
                recall += approximate[i].Count(h => truth.Contains(h.Row)) / (double)Math.Max(1, truth.Count);
            }
            recall /= q;
            output.WriteLine($"exact: {q} queries in one batched pass over the memory-mapped matrix; index: one query at a time, {Math.Max(search.Candidates, 10)} candidates (ef {Math.Max(search.Expansion, search.Candidates)}) re-scored exactly");
            // CPU time beside wall time: on a shared machine the wall clock also counts time spent waiting for a core.
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cpu time: exact {exactCpuMs:F2} ms/query, index {indexCpuMs:F3} ms/query; load average {LoadAverage()}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"search {n} x {gen.Dimension}: exact {exactMs:F2} ms/query, index {indexMs:F3} ms/query, {exactMs / indexMs:F1} x faster, recall@10 {recall:F3}"));
            return 0;
        }
        finally
        {
            if (dir is null) Directory.Delete(folder, recursive: true);
        }
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }

    private static (double Write, double Graph, double GraphCpu) Build(ClusteredVectors gen, int n, VectorElement element, HnswBuildOptions graph, string path)
    {
        var clock = Stopwatch.StartNew();
        using var writer = new VectorIndexWriter(path, gen.Dimension, element);
        const int chunk = 4096;
        var buffer = new float[chunk * gen.Dimension];
        for (int start = 0; start < n; start += chunk)
        {
            int count = Math.Min(chunk, n - start);
            Parallel.For(0, count, i => gen.Item(start + i, buffer.AsSpan(i * gen.Dimension, gen.Dimension)));
            for (int i = 0; i < count; i++) writer.Add("item" + (start + i).ToString("D8", CultureInfo.InvariantCulture), buffer.AsSpan(i * gen.Dimension, gen.Dimension));
        }
        double write = clock.Elapsed.TotalSeconds;
        var (graphWall, graphCpu) = BenchClock.Measure(() => writer.Complete(graph));
        return (write, graphWall, graphCpu);
    }

    private static string Size(string path) => File.Exists(path) ? $"{new FileInfo(path).Length / 1e6:F0} MB" : "none";

    /// <summary>The SIMD flags that matter here, as COMMON.md asks performance claims to state.</summary>
    internal static string CpuFlags()
    {
        try
        {
            var text = File.ReadAllText("/proc/cpuinfo");
            var flags = Regex.Matches(text, @"\b(avx2|avx512[a-z_0-9]*|amx[a-z_]*|f16c|fma)\b").Select(m => m.Value).Distinct().Order(StringComparer.Ordinal);
            return string.Join(" ", flags);
        }
        catch (IOException) { return "flags unknown"; }
        catch (UnauthorizedAccessException) { return "flags unknown"; }
    }
}
