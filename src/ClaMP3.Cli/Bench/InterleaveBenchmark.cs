using System.CommandLine;
using System.Diagnostics;
using System.Text;
using ClaMP3.ML.Preprocessing.Abc;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench abc2interleaved</c>: throughput of <see cref="AbcInterleaver"/> on a folder of standard
/// ABC files (read once; conversion timed in memory, rejections included).</summary>
public sealed class InterleaveBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var input = new Argument<DirectoryInfo>("input") { Description = "Folder of .abc files (searched recursively)." };
        var seconds = new Option<double>("--seconds") { Description = "Minimum measuring time.", DefaultValueFactory = _ => 3.0 };
        var command = new Command("abc2interleaved", "Files/s and MB/s of standard ABC → interleaved ABC (batch_interleaved_abc.py semantics).")
        {
            input, seconds,
        };
        command.SetAction(parse =>
        {
            var files = Directory.EnumerateFiles(parse.GetValue(input)!.FullName, "*.abc", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) { Console.Error.WriteLine("No .abc files found."); return 2; }
            var texts = files.Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))).ToArray();
            long bytes = files.Sum(f => new FileInfo(f).Length);
            int written = texts.Count(t => !AbcInterleaver.Run(t).IsRejected); // also the warm-up

            int rounds = 0;
            var (wall, cpu) = BenchClock.Measure(() =>
            {
                var watch = Stopwatch.StartNew();
                do
                {
                    foreach (var t in texts) AbcInterleaver.Run(t);
                    rounds++;
                } while (watch.Elapsed.TotalSeconds < parse.GetValue(seconds));
            });
            long n = (long)texts.Length * rounds;
            Console.WriteLine($"abc2interleaved  files {texts.Length} ({written} written, {texts.Length - written} rejected)  rounds {rounds}");
            Console.WriteLine($"  wall: {n / wall,9:N0} files/s  {bytes * rounds / wall / 1e6,7:N2} MB/s");
            Console.WriteLine($"  CPU:  {n / cpu,9:N0} files/s  {bytes * rounds / cpu / 1e6,7:N2} MB/s  (process CPU time; one thread)");
            return 0;
        });
        return command;
    }
}
