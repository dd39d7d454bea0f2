using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench tokenize</c>: throughput of the M3 patchilizer (ABC/MTF files) and of the XLM-R tokenizer (text files).</summary>
public sealed class TokenizeBenchmark : IBenchmarkCommand
{
    public Command Create()
    {
        var abcDir = new Option<DirectoryInfo?>("--abc") { Description = "Folder of .abc/.mtf files (searched recursively)." };
        var textDir = new Option<DirectoryInfo?>("--text") { Description = "Folder of .txt files (searched recursively)." };
        var spm = new Option<FileInfo?>("--spm") { Description = "sentencepiece model for the text tokenizer (e.g. sentencepiece.bpe.model)." };
        var patchSize = new Option<int>("--patch-size") { Description = "Patch size (PATCH_SIZE).", DefaultValueFactory = _ => 64 };
        var seconds = new Option<double>("--seconds") { Description = "Minimum measuring time per part.", DefaultValueFactory = _ => 2.0 };
        var command = new Command("tokenize", "Patches/s of M3Patchilizer and tokens/s of XlmRobertaTokenizer on a corpus (files read once, encoding timed).")
        {
            abcDir, textDir, spm, patchSize, seconds,
        };
        command.SetAction(parse =>
        {
            double minSeconds = parse.GetValue(seconds);
            var abc = parse.GetValue(abcDir);
            if (abc != null)
            {
                var texts = Directory.EnumerateFiles(abc.FullName, "*.*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".abc", StringComparison.Ordinal) || f.EndsWith(".mtf", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal).Select(SourceText.ReadFile).ToArray();
                var patchilizer = new M3Patchilizer(parse.GetValue(patchSize));
                long chars = texts.Sum(t => (long)t.Length);
                var (rounds, elapsed, patches) = Measure(minSeconds, () => texts.Sum(t => (long)patchilizer.EncodeToFlatIds(t).Length / patchilizer.PatchSize));
                Console.WriteLine($"patchilize  files {texts.Length,4}  rounds {rounds,5}  {patches / elapsed,12:N0} patches/s  {chars * rounds / elapsed / 1e6,8:N2} M chars/s  {texts.Length * rounds / elapsed,10:N0} files/s  (patch size {patchilizer.PatchSize})");
            }
            var text = parse.GetValue(textDir);
            var model = parse.GetValue(spm);
            if (text != null && model != null)
            {
                var tokenizer = XlmRobertaTokenizer.Load(model.FullName);
                var inputs = Directory.EnumerateFiles(text.FullName, "*.txt", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal).Select(f => XlmRobertaTokenizer.BuildTextInput(SourceText.ReadFile(f))).ToArray();
                long chars = inputs.Sum(t => (long)t.Length);
                var (rounds, elapsed, tokens) = Measure(minSeconds, () => inputs.Sum(t => (long)tokenizer.Encode(t).Length));
                Console.WriteLine($"tokenize    files {inputs.Length,4}  rounds {rounds,5}  {tokens / elapsed,12:N0} tokens/s   {chars * rounds / elapsed / 1e6,8:N2} M chars/s  {inputs.Length * rounds / elapsed,10:N0} files/s");
            }
            else if (text != null || model != null)
            {
                Console.Error.WriteLine("tokenize: --text and --spm are needed together.");
                return 2;
            }
            if (abc == null && text == null)
            {
                Console.Error.WriteLine("Nothing to measure: give --abc and/or --text with --spm.");
                return 2;
            }
            return 0;
        });
        return command;
    }

    /// <summary>Runs <paramref name="round"/> once to warm up, then repeatedly for at least <paramref name="minSeconds"/>.</summary>
    private static (int Rounds, double Seconds, long Units) Measure(double minSeconds, Func<long> round)
    {
        round();
        var watch = Stopwatch.StartNew();
        int rounds = 0;
        long units = 0;
        do
        {
            units += round();
            rounds++;
        } while (watch.Elapsed.TotalSeconds < minSeconds);
        return (rounds, watch.Elapsed.TotalSeconds, units);
    }
}
