using System.CommandLine;
using System.Diagnostics;
using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.Cli.Bench;

/// <summary><c>clamp3 bench audio</c>: decoding and MERT preprocessing throughput (audio seconds per wall second) on a
/// synthetic 44.1 kHz stereo file, with the SIMD resampler next to the same filter in scalar loops.</summary>
public sealed class AudioBenchCommand : IBenchmarkCommand
{
    public Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Length of the synthetic audio in seconds.", DefaultValueFactory = _ => 60 };
        var rate = new Option<int>("--rate") { Description = "Sample rate of the synthetic audio.", DefaultValueFactory = _ => 44100 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per measurement (the best is reported).", DefaultValueFactory = _ => 3 };
        var files = new Option<string[]>("--file") { Description = "Extra audio files to time decoding and preparation on (any supported format).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("audio", "Audio decoding, resampling to 24 kHz and normalisation throughput (audio s per wall s).")
        {
            seconds, rate, repeat, files,
        };
        command.SetAction(r => Run(r.GetValue(seconds), r.GetValue(rate), Math.Max(1, r.GetValue(repeat)), r.GetValue(files) ?? Array.Empty<string>()));
        return command;
    }

    private static int Run(double seconds, int sampleRate, int repeat, string[] extraFiles)
    {
        using var scratch = new ScratchFolder("audio");
        string dir = scratch.Path;
        int frames = (int)Math.Round(seconds * sampleRate);
        string wav = Path.Combine(dir, "synthetic.wav");
        File.WriteAllBytes(wav, SyntheticStereoWav(sampleRate, frames));
        Console.WriteLine($"audio bench: {seconds:0.#} s, {sampleRate} Hz stereo PCM16, best of {repeat}; figures in audio seconds per wall second");

        var inputs = new List<(string Label, string Path)> { ("wav pcm16", wav) };
        if (TryEncode("flac", $"-5 --silent -f -o \"{Path.Combine(dir, "synthetic.flac")}\" \"{wav}\"")) inputs.Add(("flac -5", Path.Combine(dir, "synthetic.flac")));
        else Console.WriteLine("  (no 'flac' tool: FLAC decoding not timed)");
        if (TryEncode("oggenc", $"-Q -q 5 -o \"{Path.Combine(dir, "synthetic.ogg")}\" \"{wav}\"")) inputs.Add(("ogg vorbis q5", Path.Combine(dir, "synthetic.ogg")));
        else Console.WriteLine("  (no 'oggenc' tool: OGG decoding not timed)");
        foreach (var f in extraFiles) inputs.Add((Path.GetFileName(f), f));

        Console.WriteLine();
        Console.WriteLine($"{"stage",-40} {"wall ms",9} {"audio s/s",11} {"cpu ms",9} {"audio s/cpu s",11}");
        DecodedAudio? decoded = null;
        foreach (var (label, path) in inputs)
        {
            DecodedAudio d = null!;
            var t = Best(repeat, () => d = AudioDecoder.Decode(path));
            Report($"decode {label}", t, d.DurationSeconds);
            decoded ??= d;
        }

        float[] mono = null!;
        Report("mono mix", Best(repeat, () => mono = MertAudioPreprocessor.ToMono(decoded!)), seconds);
        float[] resampled = null!;
        var simd = Best(repeat, () => resampled = MertAudioPreprocessor.Resample(mono, sampleRate));
        Report($"resample {sampleRate}→24000 (SIMD)", simd, seconds);
        var resampler = SincResampler.For(sampleRate, MertAudioPreprocessor.TargetSampleRate);
        float[] scalar = null!;
        var scalarTime = Best(1, () => scalar = resampler.ResampleScalar(mono));
        Report($"resample {sampleRate}→24000 (scalar)", scalarTime, seconds);
        double worst = 0;
        for (int i = 0; i < resampled.Length; i++) worst = Math.Max(worst, Math.Abs(resampled[i] - scalar[i]));
        Console.WriteLine($"  SIMD / scalar speed-up {scalarTime.Wall / simd.Wall:0.0}x wall, {scalarTime.Cpu / simd.Cpu:0.0}x cpu (same FMA chains; max |diff| {worst:E1}); " +
                          $"{mono.Length / simd.Cpu / 1e6:0.0} M input samples per cpu s, {resampler.Taps} taps × {resampler.ReducedTo} phases");
        Report("normalize (numpy float32 order)", Best(repeat, () => MertAudioPreprocessor.Normalize(resampled)), seconds);
        foreach (var (label, path) in inputs)
        {
            float[] prepared = null!;
            var t = Best(repeat, () => prepared = MertAudioPreprocessor.Prepare(path));
            Report($"prepare {label} (streamed)", t, prepared.Length / 24000.0);
        }
        return 0;
    }

    private static void Report(string stage, (double Wall, double Cpu) t, double audioSeconds) =>
        Console.WriteLine($"{stage,-40} {t.Wall * 1000,9:0.0} {audioSeconds / t.Wall,11:0} {t.Cpu * 1000,9:0.0} {audioSeconds / t.Cpu,11:0}");

    /// <summary>Best wall time and best process CPU time over the runs. The stages are single-threaded, so on a shared
    /// machine the CPU time is the better measure of the code's own speed.</summary>
    private static (double Wall, double Cpu) Best(int repeat, Action action)
    {
        action(); // warm-up (JIT, caches)
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        for (int i = 0; i < repeat; i++)
        {
            var (wall, cpu) = BenchClock.Measure(action);
            bestWall = Math.Min(bestWall, wall);
            bestCpu = Math.Min(bestCpu, Math.Max(1e-6, cpu));
        }
        return (bestWall, bestCpu);
    }

    private static bool TryEncode(string tool, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false });
            if (p is null) return false;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // tool not installed
        }
    }

    /// <summary>A music-like stereo signal (chords with vibrato, decaying plucks, a little noise) as a PCM16 WAV.</summary>
    private static byte[] SyntheticStereoWav(int sampleRate, int frames)
    {
        var data = new byte[frames * 4];
        var rng = new Random(11);
        double[] notes = { 220, 277.18, 329.63, 440, 554.37 };
        for (int i = 0; i < frames; i++)
        {
            double t = (double)i / sampleRate;
            double beat = t * 2 % 1;
            double l = 0, r = 0;
            for (int k = 0; k < notes.Length; k++)
            {
                double v = Math.Sin(2 * Math.PI * notes[k] * t * (1 + 0.002 * Math.Sin(2 * Math.PI * 5 * t))) * Math.Exp(-3 * beat) / notes.Length;
                l += v * (1 + 0.2 * k);
                r += v * (2 - 0.2 * k);
            }
            l = 0.4 * l + 0.01 * (rng.NextDouble() - 0.5);
            r = 0.4 * r + 0.01 * (rng.NextDouble() - 0.5);
            BitConverter.TryWriteBytes(data.AsSpan(4 * i), (short)Math.Clamp(Math.Round(l * 32767), -32768, 32767));
            BitConverter.TryWriteBytes(data.AsSpan(4 * i + 2), (short)Math.Clamp(Math.Round(r * 32767), -32768, 32767));
        }
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8); w.Write(36 + data.Length); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16); w.Write((ushort)1); w.Write((ushort)2); w.Write(sampleRate); w.Write(sampleRate * 4); w.Write((ushort)4); w.Write((ushort)16);
        w.Write("data"u8); w.Write(data.Length); w.Write(data);
        w.Flush();
        return ms.ToArray();
    }
}
