using System.Diagnostics;

namespace ClaMP3.Cli.Bench;

/// <summary>The benchmarks' one timer: wall and process-CPU seconds of a call. On a shared, oversubscribed machine wall
/// time includes waiting for a core; CPU time (all threads together) is what the work itself costs.</summary>
internal static class BenchClock
{
    public static (double Wall, double Cpu) Measure(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        action();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }
}
