using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClaMP3.ML.Preprocessing;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench convert</c>: files/s and MB/s of every discovered <see cref="IFileConverter"/> over a corpus
/// (default <c>../shared/data/real</c>), one thread, in memory (read + convert, no writing), after at least a second
/// of warm-up (steady-state JIT code).
/// A converter with no inputs in the corpus is fed the outputs of one that produces its input type (mtf2midi gets
/// midi2mtf's MTF). With <c>--official-repo</c> (a checkout of the official CLaMP 3 repository) and a Python that has
/// mido 1.3.0, the official per-file function is timed the same way on the same files and the ratio printed.</summary>
public sealed class ConvertBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var data = new Option<string>("--data") { Description = "Corpus folder (searched recursively).", DefaultValueFactory = _ => DefaultCorpus() };
        var repeat = new Option<int>("--repeat") { Description = "Timed passes over the corpus per converter.", DefaultValueFactory = _ => 5 };
        var only = new Option<string?>("--only") { Description = "Benchmark only this converter." };
        var officialRepo = new Option<string?>("--official-repo") { Description = "Checkout of github.com/sanderwood/clamp3: time the official Python functions too." };
        var python = new Option<string>("--python") { Description = "Python for the official baseline.", DefaultValueFactory = _ => "python3" };
        var pythonPath = new Option<string?>("--pythonpath") { Description = "PYTHONPATH for the baseline (e.g. a folder holding mido 1.3.0)." };
        var command = new Command("convert", "Throughput of the file converters (files/s, MB/s), side by side with the official scripts when available.")
        {
            data, repeat, only, officialRepo, python, pythonPath,
        };
        command.SetAction(parse => Run(parse.GetValue(data)!, Math.Max(1, parse.GetValue(repeat)), parse.GetValue(only),
            parse.GetValue(officialRepo), parse.GetValue(python)!, parse.GetValue(pythonPath), parse.InvocationConfiguration.Output));
        return command;
    }

    private static string DefaultCorpus()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", "real");
            if (Directory.Exists(candidate)) return candidate;
        }
        return Path.Combine("..", "shared", "data", "real");
    }

    private static int Run(string corpus, int repeat, string? only, string? officialRepo, string python, string? pythonPath, TextWriter output)
    {
        if (!Directory.Exists(corpus))
        {
            output.WriteLine($"error: corpus folder not found: {corpus}");
            return CliErrors.Usage;
        }
        var converters = FileConverterRegistry.Discover();
        using var scratch = new ScratchFolder("convert");
        output.WriteLine($"corpus {Path.GetFullPath(corpus)}, {repeat} timed passes after >= 1 s of warm-up, one thread, read + convert in memory");
        output.WriteLine($"{"converter",-18} {"files",6} {"ok",5} {"MB",8} {"files/s",10} {"MB/s",8}   official (Python)             ratio");
        foreach (var converter in converters)
        {
            if (only is not null && converter.Name != only) continue;
            var batch = new BatchConverter(converter, Options(converter));
            var inputs = batch.FindInputs(corpus);
            if (inputs.Count == 0) inputs = FeedFromAnotherConverter(converter, converters, corpus, scratch.Path);
            if (inputs.Count == 0)
            {
                output.WriteLine($"{converter.Name,-18} no inputs ({string.Join(", ", converter.InputExtensions)}) in the corpus");
                continue;
            }
            var ours = Measure(converter, inputs, repeat);
            string official = "n/a", ratio = "";
            if (officialRepo is not null && OfficialBaseline.For(converter.Name) is { } baseline)
            {
                var (seconds, error) = baseline.Time(officialRepo, python, pythonPath, inputs, repeat);
                if (error is not null) official = "failed: " + error;
                else
                {
                    official = $"{inputs.Count * repeat / seconds,9:F1} files/s {ours.Bytes * repeat / seconds / 1e6,6:F2} MB/s";
                    ratio = $"{seconds / ours.Seconds,7:F1}x";
                }
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{converter.Name,-18} {inputs.Count,6} {ours.Ok,5} {ours.Bytes / 1e6,8:F3} {inputs.Count * repeat / ours.Seconds,10:F1} {ours.Bytes * repeat / ours.Seconds / 1e6,8:F2}   {official,-29} {ratio}"));
        }
        return CliErrors.Ok;
    }

    private static ConverterOptions Options(IFileConverter converter) => new(M3Compatible: converter.Name == "midi2mtf");

    private static (double Seconds, long Bytes, int Ok) Measure(IFileConverter converter, IReadOnlyList<string> inputs, int repeat)
    {
        var options = Options(converter);
        long bytes = inputs.Sum(p => new FileInfo(p).Length);
        int ok = 0;
        foreach (var path in inputs) // first pass: file cache, outcomes
            if (TryConvert(converter, path, options)) ok++;
        // Tiered JIT recompiles hot methods in the background; on a busy machine that takes a while, so warm up
        // for a second (at least two passes) to time steady-state code, which is what a large batch runs.
        var warmup = Stopwatch.StartNew();
        for (int pass = 0; pass < 20 && (pass < 2 || warmup.Elapsed.TotalSeconds < 1.0); pass++)
            foreach (var path in inputs) TryConvert(converter, path, options);
        var stopwatch = Stopwatch.StartNew();
        for (int r = 0; r < repeat; r++)
            foreach (var path in inputs) TryConvert(converter, path, options);
        return (stopwatch.Elapsed.TotalSeconds, bytes, ok);
    }

    private static bool TryConvert(IFileConverter converter, string path, ConverterOptions options)
    {
        try
        {
            converter.Convert(path, options);
            return true;
        }
        catch (ConversionRejectedException)
        {
            return false;
        }
    }

    /// <summary>Inputs for a converter whose input type the corpus lacks (mtf2midi): the outputs of a converter that
    /// writes that type, converted into a scratch folder.</summary>
    private static IReadOnlyList<string> FeedFromAnotherConverter(IFileConverter target, IReadOnlyList<IFileConverter> all, string corpus, string scratch)
    {
        foreach (var producer in all)
        {
            if (producer == target || producer is not IKnowsOutputName named) continue;
            if (!producer.InputExtensions.Any(ext => target.InputExtensions.Any(t => named.OutputFileName("x" + ext).EndsWith(t, StringComparison.OrdinalIgnoreCase))))
                continue;
            string dir = Path.Combine(scratch, producer.Name);
            new BatchConverter(producer, Options(producer)).Run(corpus, dir);
            var inputs = new BatchConverter(target).FindInputs(dir);
            if (inputs.Count > 0) return inputs;
        }
        return [];
    }
}

/// <summary>How to time an official script's per-file work in Python, the same way as ours (one process, warm-up pass,
/// then <c>repeat</c> passes; read + convert in memory, nothing written).</summary>
internal sealed record OfficialBaseline(string Script, string Snippet)
{
    public static OfficialBaseline? For(string converterName) => converterName switch
    {
        "midi2mtf" => new("preprocessing/midi/batch_midi2mtf.py",
            "def work(f):\n    b.load_midi(f, True)\n"),
        "mtf2midi" => new("preprocessing/midi/batch_mtf2midi.py",
            "import io, mido\n" +
            "def work(f):\n" +
            "    lines = open(f, 'r', encoding='utf-8').read().splitlines()\n" +
            "    mid = mido.MidiFile(); mid.ticks_per_beat = int(lines[0].split(' ')[1])\n" +
            "    track = mido.MidiTrack(); mid.tracks.append(track)\n" +
            "    for line in lines[1:]:\n" +
            "        if 'unknown_meta' in line: continue\n" +
            "        track.append(b.str_to_msg(line))\n" +
            "    mid.save(file=io.BytesIO())\n"),
        _ => null,
    };

    private const string Harness =
        "import sys, time, importlib.util\n" +
        "spec = importlib.util.spec_from_file_location('official', sys.argv[1]); b = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)\n" +
        "repeat = int(sys.argv[2]); files = [l.rstrip('\\n') for l in open(sys.argv[3], encoding='utf-8')]\n" +
        "{SNIPPET}" +
        "def one(f):\n" +
        "    try: work(f)\n" +
        "    except Exception: pass\n" +
        "for f in files: one(f)\n" +
        "t = time.perf_counter()\n" +
        "for _ in range(repeat):\n" +
        "    for f in files: one(f)\n" +
        "print(time.perf_counter() - t)\n";

    public (double Seconds, string? Error) Time(string officialRepo, string python, string? pythonPath, IReadOnlyList<string> inputs, int repeat)
    {
        string script = Path.Combine(officialRepo, Script);
        if (!File.Exists(script)) return (0, $"{script} not found");
        string list = Path.GetTempFileName();
        string harness = Path.Combine(Path.GetTempPath(), "clamp3-bench-" + Guid.NewGuid().ToString("N")[..8] + ".py");
        try
        {
            File.WriteAllLines(list, inputs);
            File.WriteAllText(harness, Harness.Replace("{SNIPPET}", Snippet));
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { harness, script, repeat.ToString(CultureInfo.InvariantCulture), list }) start.ArgumentList.Add(a);
            if (pythonPath is not null) start.Environment["PYTHONPATH"] = pythonPath;
            using var process = Process.Start(start)!;
            string stdout = process.StandardOutput.ReadToEnd();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 || !double.TryParse(stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
                return (0, stderr.Trim().Split('\n').LastOrDefault() ?? $"exit code {process.ExitCode}");
            return (seconds, null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (0, $"cannot start {python}: {e.Message}");
        }
        finally
        {
            File.Delete(list);
            File.Delete(harness);
        }
    }
}
