namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>The audio half of CLaMP 3's <c>extract_mert.py</c>: mono mix, resampling to 24 kHz, whole-file
/// normalisation and 5 s windows, with the official float32 semantics (fixtures README, mert-tiny "Exact semantics" 2–5).</summary>
public static class MertAudioPreprocessor
{
    public const int TargetSampleRate = 24000;
    /// <summary>5 s at 24 kHz, no overlap.</summary>
    public const int WindowSamples = 5 * TargetSampleRate;
    /// <summary>The last window is kept only if it has at least 1 s.</summary>
    public const int MinLastWindowSamples = TargetSampleRate;
    /// <summary>The epsilon of <c>Wav2Vec2FeatureExtractor</c>'s zero-mean/unit-variance normalisation.</summary>
    public const double NormalizationEpsilon = 1e-7;

    /// <summary><c>torch.mean(wav, dim=0)</c> in float32: channels summed in order, then divided by their count.
    /// A single channel is returned as is (the official code only mixes when C &gt; 1).</summary>
    public static float[] ToMono(DecodedAudio audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.Channels.Length == 0) throw new ArgumentException("the audio has no channels.", nameof(audio));
        if (audio.Channels.Length == 1) return audio.Channels[0];
        int n = audio.Channels[0].Length;
        foreach (var ch in audio.Channels)
            if (ch.Length != n) throw new ArgumentException("all channels must have the same length.", nameof(audio));
        var mono = new float[n];
        MixInto(audio.Channels, 0, n, mono);
        return mono;
    }

    internal static void MixInto(float[][] channels, int offset, int count, Span<float> dest)
    {
        int c = channels.Length;
        if (c == 1) { channels[0].AsSpan(offset, count).CopyTo(dest); return; }
        float divisor = c;
        for (int i = 0; i < count; i++)
        {
            float sum = channels[0][offset + i];
            for (int k = 1; k < c; k++) sum += channels[k][offset + i];
            dest[i] = sum / divisor;
        }
    }

    /// <summary><c>torchaudio.transforms.Resample(fromRate, toRate)</c> with defaults; a copy when the rates are equal.</summary>
    public static float[] Resample(float[] samples, int fromRate, int toRate = TargetSampleRate)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return SincResampler.For(fromRate, toRate).Resample(samples);
    }

    /// <summary><c>(x - x.mean()) / np.sqrt(x.var() + 1e-7)</c> in numpy float32 over the whole signal; the divisor is
    /// computed in float64 (a float32 scalar plus a Python float) and rounded to float32. Silence gives zeros.</summary>
    public static float[] Normalize(float[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var result = new float[samples.Length];
        NormalizeInto(samples, result);
        return result;
    }

    /// <summary><see cref="Normalize"/> into <paramref name="destination"/> (which may be <paramref name="samples"/> itself).</summary>
    public static void NormalizeInto(ReadOnlySpan<float> samples, Span<float> destination)
    {
        if (destination.Length != samples.Length) throw new ArgumentException("destination must have the length of samples.", nameof(destination));
        if (samples.Length == 0) return;
        float mean = NumpyFloat32.Mean(samples);
        float variance = NumpyFloat32.Variance(samples);
        float divisor = (float)Math.Sqrt(variance + NormalizationEpsilon);
        for (int i = 0; i < samples.Length; i++) destination[i] = (samples[i] - mean) / divisor;
    }

    /// <summary>Non-overlapping windows of <paramref name="windowSamples"/>; only the last one is checked and dropped when
    /// shorter than <paramref name="minLastWindowSamples"/>. Throws <see cref="AudioTooShortException"/> when none is left.</summary>
    public static IReadOnlyList<ArraySegment<float>> Windows(float[] normalized, int windowSamples = WindowSamples,
        int minLastWindowSamples = MinLastWindowSamples) => Windows(normalized, null, windowSamples, minLastWindowSamples);

    /// <inheritdoc cref="Windows(float[], int, int)"/>
    /// <param name="nameForErrors">The file named in the exception.</param>
    public static IReadOnlyList<ArraySegment<float>> Windows(float[] normalized, string? nameForErrors,
        int windowSamples = WindowSamples, int minLastWindowSamples = MinLastWindowSamples)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (windowSamples <= 0) throw new ArgumentOutOfRangeException(nameof(windowSamples));
        var windows = new List<ArraySegment<float>>();
        for (int start = 0; start < normalized.Length; start += windowSamples)
            windows.Add(new ArraySegment<float>(normalized, start, Math.Min(windowSamples, normalized.Length - start)));
        if (windows.Count > 0 && windows[^1].Count < minLastWindowSamples) windows.RemoveAt(windows.Count - 1);
        if (windows.Count == 0) throw new AudioTooShortException(nameForErrors, normalized.Length, minLastWindowSamples);
        return windows;
    }

    /// <summary>Mono → 24 kHz → normalised, ready for <see cref="Windows(float[], int, int)"/>.</summary>
    public static float[] Prepare(DecodedAudio audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        return Normalize(Resample(ToMono(audio), audio.SampleRate));
    }

    /// <summary>Prepares raw samples in memory (<paramref name="channels"/>[c][i] at <paramref name="sampleRate"/>).</summary>
    public static float[] Prepare(float[][] channels, int sampleRate) => Prepare(new DecodedAudio(channels, sampleRate));

    /// <summary>Decodes, mixes and resamples a file block by block (memory: the 24 kHz mono result plus a few blocks),
    /// then normalises. Throws <see cref="AudioDecodingException"/> naming the file when it cannot be decoded.</summary>
    public static float[] Prepare(string path)
    {
        var samples = DecodeMono24k(path);
        NormalizeInto(samples, samples); // in place: the only full-length array of a long file
        return samples;
    }

    /// <summary>The mono 24 kHz signal before normalisation (the fixtures' <c>resampled</c> stage), streamed from the file.</summary>
    public static float[] DecodeMono24k(string path)
    {
        using var reader = AudioDecoder.OpenReader(path);
        return ReadMono24k(reader, path);
    }

    internal static float[] ReadMono24k(IAudioSampleReader reader, string name)
    {
        var buffers = AudioBlocks.Buffers(reader.ChannelCount, out int block); // bounded over all channels
        var mono = new float[block];
        SincResampler.Stream resampler;
        try
        {
            resampler = SincResampler.For(reader.SampleRate, TargetSampleRate).CreateStream(reader.FrameCountHint ?? 0);
        }
        catch (NotSupportedException e)
        {
            throw new AudioDecodingException(name, e.Message, e);
        }
        try
        {
            int got;
            while ((got = AudioDecoder.ReadChecked(reader, buffers, block, name)) > 0)
            {
                MixInto(buffers, 0, got, mono);
                resampler.Push(mono.AsSpan(0, got));
            }
            return resampler.Finish();
        }
        catch (AudioLengthException e)
        {
            throw new AudioDecodingException(name, e.Message, e);
        }
    }
}
