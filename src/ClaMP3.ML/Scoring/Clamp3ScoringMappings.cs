using ClaMP3.ML.Preprocessing.Audio;
using ClaMP3.ML.Tokenization;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace ClaMP3.ML.Scoring;

// The per-row C# halves of the standard-model featurizers. ML.NET saves a CustomMapping as its contract name and
// re-creates it on load from the assembly that declares the [CustomMappingFactoryAttribute]: these classes are that
// contract, so their names, fields and column names must not change without a new contract name.

/// <summary>Input row of the text mapping: the text and the carried tokenizer (<see cref="Clamp3ScoringState"/>).</summary>
public sealed class Clamp3TextRow
{
    public string Text { get; set; } = "";
    [VectorType] public byte[] Clamp3State { get; set; } = Array.Empty<byte>();
}

/// <summary>Output of the text mapping: the XLM-R ids of the whole text (&lt;s&gt; … &lt;/s&gt;, not yet segmented).</summary>
public sealed class Clamp3TextIdsRow
{
    [VectorType] public long[] Clamp3Ids { get; set; } = Array.Empty<long>();
}

/// <summary>Input row of the score mapping: interleaved ABC or MTF text, and the carried patch size.</summary>
public sealed class Clamp3MusicRow
{
    public string Music { get; set; } = "";
    [VectorType] public byte[] Clamp3State { get; set; } = Array.Empty<byte>();
}

/// <summary>Output of the score mapping: the M3 patches of the whole score, flattened (patches × patch size).</summary>
public sealed class Clamp3PatchesRow
{
    [VectorType] public long[] Clamp3Patches { get; set; } = Array.Empty<long>();
}

/// <summary>Input row of the audio mapping: a path to a .wav, .mp3, .flac or .ogg file.</summary>
public sealed class Clamp3AudioPathRow
{
    public string AudioPath { get; set; } = "";
}

/// <summary>Output of the audio mapping: mono 24 kHz samples, normalised over the whole file, cut to the 5 s windows
/// the official <c>extract_mert.py</c> keeps (a last window under 1 s is dropped).</summary>
public sealed class Clamp3SamplesRow
{
    [VectorType] public float[] Clamp3Samples { get; set; } = Array.Empty<float>();
}

/// <summary>Input row of the MIDI mapping: a path to a .mid/.midi file.</summary>
public sealed class Clamp3MidiPathRow
{
    public string MidiPath { get; set; } = "";
}

/// <summary>Output of the MIDI mapping: the MTF text (<c>--m3_compatible</c>), the score featurizer's <c>Music</c> input.</summary>
public sealed class Clamp3MtfRow
{
    public string Music { get; set; } = "";
}

/// <summary>Per-cursor row counter, so an error can name the row.</summary>
public sealed class Clamp3RowCounter
{
    public long Row { get; set; } = -1;
}

/// <summary>Text → XLM-R ids, as the official <c>.txt</c> path (lines de-duplicated, joined with &lt;/s&gt;).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Clamp3TokenizeTextMapping : CustomMappingFactory<Clamp3TextRow, Clamp3TextIdsRow>
{
    public const string ContractName = "ClaMP3.TokenizeText.v1";

    public override Action<Clamp3TextRow, Clamp3TextIdsRow> GetMapping() => (src, dst) =>
    {
        var state = Clamp3ScoringState.Get(src.Clamp3State);
        var tokenizer = state.Tokenizer ?? throw new InvalidDataException("the ClaMP3 scoring state of this text featurizer has no tokenizer.");
        var joined = XlmRobertaTokenizer.BuildTextInput(src.Text ?? "");
        int[] ids;
        lock (tokenizer) ids = tokenizer.Encode(joined, addSpecialTokens: true);
        dst.Clamp3Ids = Array.ConvertAll(ids, i => (long)i);
    };
}

/// <summary>Score → M3 patches (ABC, or MTF when the first word is <c>ticks_per_beat</c>), with the special patches.</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Clamp3PatchilizeMapping : CustomMappingFactory<Clamp3MusicRow, Clamp3PatchesRow>
{
    public const string ContractName = "ClaMP3.Patchilize.v1";

    public override Action<Clamp3MusicRow, Clamp3PatchesRow> GetMapping() => (src, dst) =>
    {
        var state = Clamp3ScoringState.Get(src.Clamp3State);
        var patchilizer = state.Patchilizer ?? throw new InvalidDataException("the ClaMP3 scoring state of this score featurizer has no patch size.");
        var normalized = SourceText.NormalizeNewlines(src.Music ?? "");
        int[][] patches;
        lock (patchilizer) patches = patchilizer.Encode(normalized, addSpecialPatches: true);
        var flat = new long[patches.Length * state.PatchSize];
        for (int p = 0; p < patches.Length; p++)
            for (int c = 0; c < state.PatchSize; c++) flat[p * state.PatchSize + c] = patches[p][c];
        dst.Clamp3Patches = flat;
    };
}

/// <summary>Audio file → the samples MERT reads; a file that cannot be used fails naming the row and the file.</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Clamp3DecodeAudioMapping : StatefulCustomMappingFactory<Clamp3AudioPathRow, Clamp3SamplesRow, Clamp3RowCounter>
{
    public const string ContractName = "ClaMP3.DecodeAudio.v1";

    public override Action<Clamp3AudioPathRow, Clamp3SamplesRow, Clamp3RowCounter> GetMapping() => (src, dst, counter) =>
    {
        counter.Row++;
        dst.Clamp3Samples = Clamp3AudioSamples.Read(src.AudioPath, counter.Row);
    };

    public override Action<Clamp3RowCounter> GetStateInitAction() => _ => { };
}

/// <summary>As <see cref="Clamp3DecodeAudioMapping"/>, but a file that cannot be used becomes one second of NaN samples, so
/// that its features are a missing value (all NaN), and the run goes on (<c>RowErrorMode.MissingValue</c>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Clamp3DecodeAudioOrMissingMapping : StatefulCustomMappingFactory<Clamp3AudioPathRow, Clamp3SamplesRow, Clamp3RowCounter>
{
    public const string ContractName = "ClaMP3.DecodeAudioOrMissing.v1";

    public override Action<Clamp3AudioPathRow, Clamp3SamplesRow, Clamp3RowCounter> GetMapping() => (src, dst, counter) =>
    {
        counter.Row++;
        try
        {
            dst.Clamp3Samples = Clamp3AudioSamples.Read(src.AudioPath, counter.Row);
        }
        catch (InvalidDataException)
        {
            dst.Clamp3Samples = Clamp3AudioSamples.Missing();
        }
    };

    public override Action<Clamp3RowCounter> GetStateInitAction() => _ => { };
}

/// <summary>MIDI file → MTF text as <c>batch_midi2mtf.py --m3_compatible</c>; a file that cannot be read fails naming
/// the row and the file.</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Clamp3MidiToMtfMapping : StatefulCustomMappingFactory<Clamp3MidiPathRow, Clamp3MtfRow, Clamp3RowCounter>
{
    public const string ContractName = "ClaMP3.MidiToMtf.v1";

    public override Action<Clamp3MidiPathRow, Clamp3MtfRow, Clamp3RowCounter> GetMapping() => (src, dst, counter) =>
    {
        counter.Row++;
        var path = src.MidiPath;
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException($"row {counter.Row}: the MidiPath column is empty.");
        try
        {
            dst.Music = Preprocessing.Midi.MidiToMtf.Convert(File.ReadAllBytes(path), m3Compatible: true);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Preprocessing.ConversionRejectedException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"row {counter.Row}: {path}: {e.Message}", e);
        }
    };

    public override Action<Clamp3RowCounter> GetStateInitAction() => _ => { };
}

/// <summary>The audio half of <c>extract_mert.py</c> up to the windows, for the audio mappings.</summary>
public static class Clamp3AudioSamples
{
    /// <exception cref="InvalidDataException">One line naming the row and the file: missing, undecodable, too short.</exception>
    public static float[] Read(string? path, long row)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new InvalidDataException($"row {row}: the AudioPath column is empty.");
        try
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
            var normalized = MertAudioPreprocessor.Prepare(path);
            var last = MertAudioPreprocessor.Windows(normalized, path)[^1]; // drops a short last window; none left: AudioTooShortException
            int keep = last.Offset + last.Count;
            if (keep == normalized.Length) return normalized;
            return normalized.AsSpan(0, keep).ToArray();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or AudioDecodingException or AudioTooShortException or NotSupportedException)
        {
            var message = e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}";
            throw new InvalidDataException($"row {row}: {message}", e);
        }
    }

    /// <summary>One second of NaN: MERT turns it into NaN features, ML.NET's missing value for a float vector.</summary>
    public static float[] Missing()
    {
        var samples = new float[MertAudioPreprocessor.MinLastWindowSamples];
        Array.Fill(samples, float.NaN);
        return samples;
    }
}
