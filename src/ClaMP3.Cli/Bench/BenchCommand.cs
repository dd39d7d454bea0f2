using System.CommandLine;

namespace ClaMP3.Cli.Bench;

/// <summary>One benchmark, run as <c>clamp3 bench NAME</c>. Implementations are discovered by reflection, like commands.</summary>
public interface IBenchmarkCommand
{
    /// <summary>A command whose name is the benchmark's (e.g. <c>model</c>, <c>convert</c>, <c>mert</c>).</summary>
    Command Create();
}

/// <summary><c>clamp3 bench</c>: groups the benchmarks; each reports ratios side by side from one run.</summary>
public sealed class BenchCommand : ICliCommand
{
    public Command Create()
    {
        var bench = new Command("bench", "Measure throughput on realistic sizes (see each benchmark's help).");
        foreach (var type in typeof(BenchCommand).Assembly.GetTypes()
                     .Where(t => typeof(IBenchmarkCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                     .OrderBy(t => t.Name))
            bench.Subcommands.Add(((IBenchmarkCommand)Activator.CreateInstance(type)!).Create());
        return bench;
    }
}
