using ClaMP3.ML.Preprocessing.Audio;
using static ClaMP3.ML.Tests.Preprocessing.Audio.WavTestFiles;

namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>Decoder behaviour per format and sample type, following torchaudio 0.13 (libsox) reading rules,
/// and clear errors for bad files.</summary>
[TestClass]
public sealed class AudioDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    private static DecodedAudio DecodeBytes(byte[] bytes, string name = "test.wav") => AudioDecoder.Decode(new MemoryStream(bytes), name);

    private static void AssertSamples(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i]) Assert.Fail($"{what}: sample {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [TestMethod]
    public void Pcm16StereoIsExactAndDeinterleaved()
    {
        var audio = DecodeBytes(Build(Pcm, 2, 44100, 16, Int16(-32768, 32767, 1, -1, 0, 16384)));
        Assert.AreEqual(44100, audio.SampleRate);
        AssertSamples(new[] { -1f, 1f / 32768, 0f }, audio.Channels[0], "left");
        AssertSamples(new[] { 32767f / 32768, -1f / 32768, 0.5f }, audio.Channels[1], "right");
    }

    [TestMethod]
    public void Pcm8IsUnsignedAroundMidpoint()
    {
        var audio = DecodeBytes(Build(Pcm, 1, 8000, 8, new byte[] { 0, 128, 255, 64 }));
        AssertSamples(new[] { -1f, 0f, 127f / 128, -0.5f }, audio.Channels[0], "pcm8");
    }

    [TestMethod]
    public void Pcm24IsExact()
    {
        var audio = DecodeBytes(Build(Pcm, 1, 48000, 24, Int24(-8388608, 8388607, 1, -1, 4194304)));
        AssertSamples(new[] { -1f, 8388607f / 8388608, 1f / 8388608, -1f / 8388608, 0.5f }, audio.Channels[0], "pcm24");
    }

    [TestMethod]
    public void Pcm32LosesItsLowSevenBitsLikeLibsox()
    {
        // ((s + 64) & ~127) / 2^31, and 1.0 above 2^31 − 1 − 64.
        var audio = DecodeBytes(Build(Pcm, 1, 16000, 32, Int32(int.MaxValue, int.MaxValue - 64, 63, 64, 127, -65, int.MinValue, 1 << 30)));
        const float ulp = 1f / 16777216; // 128 / 2^31
        AssertSamples(new[] { 1f, 1f - ulp, 0f, ulp, ulp, -ulp, -1f, 0.5f }, audio.Channels[0], "pcm32");
    }

    [TestMethod]
    public void Float32IsRoundedToTheSoxGridAndClipped()
    {
        // 3e-8·2^31 = 64.4 → 64 → (64+64)&~127 = 128 → 2^-24; 1e-9·2^31 = 2.1 → 0.
        var audio = DecodeBytes(Build(IeeeFloat, 1, 24000, 32, Float32(0.5f, 1.6f, -1.6f, 3e-8f, 1e-9f, 0.99999994f, -0.25f)));
        AssertSamples(new[] { 0.5f, 1f, -1f, 1f / 16777216, 0f, 0.99999994f, -0.25f }, audio.Channels[0], "float32");
    }

    [TestMethod]
    public void Float64IsTruncatedToInt32ThenRounded()
    {
        // 0.1·2^31 = 214748364.8 → 214748364 → +64 & ~127 = 214748416 → /2^31; 1 − 2^-25 → 2^31 − 64 > 2^31 − 1 − 64 → 1.
        var audio = DecodeBytes(Build(IeeeFloat, 1, 22050, 64, Float64(0.1, 1 - Math.Pow(2, -25), -2.0, 0.75)));
        AssertSamples(new[] { (float)(214748416 / 2147483648.0), 1f, -1f, 0.75f }, audio.Channels[0], "float64");
    }

    [TestMethod]
    public void ExtensibleMultichannelAndChunksBeforeFmt()
    {
        var pcm = DecodeBytes(Build(Pcm, 3, 32000, 24, Int24(1, 2, 3, -4, -5, -6), extensible: true, withListChunk: true));
        Assert.AreEqual(3, pcm.ChannelCount);
        AssertSamples(new[] { 1f / 8388608, -4f / 8388608 }, pcm.Channels[0], "ch0");
        AssertSamples(new[] { 3f / 8388608, -6f / 8388608 }, pcm.Channels[2], "ch2");
        var flt = DecodeBytes(Build(IeeeFloat, 2, 96000, 32, Float32(0.25f, -0.5f), extensible: true));
        AssertSamples(new[] { 0.25f }, flt.Channels[0], "float ch0");
        AssertSamples(new[] { -0.5f }, flt.Channels[1], "float ch1");
    }

    [TestMethod]
    public void MonoMixIsTheFloat32MeanOfChannels()
    {
        float a = 0.1f, b = 0.7f, c = -0.3f;
        var audio = new DecodedAudio(new[] { new[] { a, 1f }, new[] { b, 0.5f }, new[] { c, 0.25f } }, 8000);
        var mono = MertAudioPreprocessor.ToMono(audio);
        AssertSamples(new[] { (a + b + c) / 3f, (1f + 0.5f + 0.25f) / 3f }, mono, "mono of 3");
        var stereo = MertAudioPreprocessor.ToMono(new DecodedAudio(new[] { new[] { a }, new[] { b } }, 8000));
        AssertSamples(new[] { (a + b) / 2f }, stereo, "mono of 2");
    }

    [TestMethod]
    public void TruncatedDataChunkReadsWhatIsThere()
    {
        var bytes = Build(Pcm, 2, 8000, 16, Int16(1, 2, 3, 4, 5, 6));
        var cut = bytes.AsSpan(0, bytes.Length - 3).ToArray(); // last frame incomplete
        var audio = DecodeBytes(cut);
        Assert.AreEqual(2, audio.FrameCount);
    }

    [TestMethod]
    public void FormatIsDetectedFromContentNotExtension()
    {
        using var dir = TestPaths.NewTempDir();
        string mp3AsWav = Path.Combine(dir.Path, "really_an_mp3.wav");
        File.Copy(TestPaths.Fixture("mert-tiny", "inputs", "tune44k_stereo_mp3.mp3"), mp3AsWav);
        Assert.AreEqual(273420, AudioDecoder.Decode(mp3AsWav).FrameCount);
        string wavAsFlac = Path.Combine(dir.Path, "really_a_wav.FLAC");
        File.Copy(TestPaths.Fixture("mert-tiny", "inputs", "short24k_0p8s.wav"), wavAsFlac);
        Assert.AreEqual(19200, AudioDecoder.Decode(wavAsFlac).FrameCount);
    }

    [TestMethod]
    public void BadFilesGiveErrorsNamingTheFile()
    {
        using var dir = TestPaths.NewTempDir();
        var good = Build(Pcm, 1, 8000, 16, Int16(1, 2, 3));
        var zeroChannels = (byte[])good.Clone(); zeroChannels[22] = 0;
        var zeroRate = (byte[])good.Clone(); Array.Clear(zeroRate, 24, 4);
        var cases = new (string File, byte[] Bytes, string Expect)[]
        {
            ("empty.wav", Array.Empty<byte>(), "empty"),
            ("text.wav", "This is not audio at all, just text.\n"u8.ToArray(), "not a recognised audio file"),
            ("truncated_header.wav", good.AsSpan(0, 20).ToArray(), "truncated"),
            ("zero_channels.wav", zeroChannels, "0 channels"),
            ("zero_rate.wav", zeroRate, "sample rate 0"),
            ("adpcm.wav", Build(2, 1, 8000, 4, new byte[] { 1, 2 }), "not supported"),
            ("noise.mp3", Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray(), "not a recognised audio file"),
            ("bad.flac", "fLaC"u8.ToArray().Concat(new byte[] { 0x80, 0, 0, 34 }).ToArray(), "truncated"),
            ("opus.ogg", "OggS"u8.ToArray().Concat(new byte[24]).Concat("OpusHead"u8.ToArray()).Concat(new byte[20]).ToArray(), "not Vorbis"),
            ("odd_rate.wav", Build(Pcm, 1, 44101, 16, Int16(1, 2, 3)), "not supported"),
        };
        foreach (var (file, bytes, expect) in cases)
        {
            string path = Path.Combine(dir.Path, file);
            File.WriteAllBytes(path, bytes);
            // Decoding alone fails for all but the odd rate, which decodes and only cannot be resampled to 24 kHz.
            if (file != "odd_rate.wav")
            {
                var e = Assert.ThrowsExactly<AudioDecodingException>(() => AudioDecoder.Decode(path), file);
                StringAssert.Contains(e.Message, path, file);
                StringAssert.Contains(e.Message, expect, file);
            }
            var prepared = Assert.ThrowsExactly<AudioDecodingException>(() => MertAudioPreprocessor.Prepare(path), file);
            StringAssert.Contains(prepared.Message, path, file);
            StringAssert.Contains(prepared.Message, expect, file);
            TestContext.WriteLine(prepared.Message);
        }
        var missing = Assert.ThrowsExactly<AudioDecodingException>(() => AudioDecoder.Decode(Path.Combine(dir.Path, "missing.wav")));
        StringAssert.Contains(missing.Message, "missing.wav");
    }

    [TestMethod]
    public void Mp3WithoutLameTagIsNotTrimmedAndTruncatedMp3DecodesWhatIsThere()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("mert-tiny", "inputs", "tune44k_stereo_mp3.mp3"));
        var trimmed = DecodeBytes(bytes, "gapless.mp3");
        Assert.AreEqual(273420, trimmed.FrameCount); // 239·1152 − 576 − 1332
        // Without a LAME/Lavf/Lavc encoder string FFmpeg trims nothing: all 239 frames, the same samples 576 + 529 later.
        // The Info tag has flags 0x0F (frames, bytes, 100-byte TOC, quality), so its encoder string starts 120 bytes in.
        int info = bytes.AsSpan().IndexOf("Info"u8);
        int encoder = info + 8 + 4 + 4 + 100 + 4;
        Assert.AreEqual("Lavf", System.Text.Encoding.ASCII.GetString(bytes, encoder, 4), "the fixture MP3's Info tag was written by FFmpeg");
        var noLame = (byte[])bytes.Clone();
        "XXXX"u8.CopyTo(noLame.AsSpan(encoder));
        var untrimmed = DecodeBytes(noLame, "no_lame.mp3");
        Assert.AreEqual(239 * 1152, untrimmed.FrameCount);
        for (int c = 0; c < 2; c++)
            AssertSamples(trimmed.Channels[c], untrimmed.Channels[c].AsSpan(576 + 529, trimmed.FrameCount).ToArray(), $"channel {c} offset by the trimmed delay");
        var truncated = DecodeBytes(bytes.AsSpan(0, bytes.Length / 2).ToArray(), "half.mp3");
        Assert.IsTrue(truncated.FrameCount > 100_000 && truncated.FrameCount < 273420, $"half the file gave {truncated.FrameCount} frames");
        AssertSamples(trimmed.Channels[0].AsSpan(0, 50_000).ToArray(), truncated.Channels[0].AsSpan(0, 50_000).ToArray(), "truncated prefix");
    }

    [TestMethod]
    public void CorruptFlacFrameIsReportedByItsCrc()
    {
        var bytes = HandFlac(out _);
        bytes[^5] ^= 0x10; // inside the last frame's subframe data
        var e = Assert.ThrowsExactly<AudioDecodingException>(() => DecodeBytes(bytes, "corrupt.flac"));
        StringAssert.Contains(e.Message, "corrupt.flac");
        StringAssert.Contains(e.Message, "CRC");
    }

    /// <summary>A hand-assembled 16-bit stereo FLAC using every subframe type and all stereo modes.</summary>
    private static byte[] HandFlac(out int[][] samples)
    {
        const int n = 64, frames = 5;
        var rng = new Random(7);
        var s = new[] { new int[frames * n], new int[frames * n] };
        samples = s;
        for (int i = 0; i < frames * n; i++)
        {
            s[0][i] = (int)(12000 * Math.Sin(i * 0.21)) + rng.Next(-50, 50);
            s[1][i] = (int)(9000 * Math.Sin(i * 0.13 + 1)) + rng.Next(-50, 50);
        }
        s[0][0] = -32768; s[1][0] = 32767;
        for (int i = n; i < 2 * n; i++) s[1][i] = -1234;    // constant right channel in frame 1
        for (int i = 2 * n; i < 3 * n; i++) s[0][i] &= ~3;  // two wasted bits on the left in frame 2
        int[][] Frame(int k) => new[] { s[0][(k * n)..((k + 1) * n)], s[1][(k * n)..((k + 1) * n)] };
        var enc = new FlacTestEncoder(44100, 2, 16, frames * n, n);
        enc.AddFrame(Frame(0), 1, new FlacTestEncoder.Verbatim(), new FlacTestEncoder.Fixed(2, 9, PartitionOrder: 2));
        enc.AddFrame(Frame(1), 1, new FlacTestEncoder.Fixed(1, 11), new FlacTestEncoder.Constant());
        enc.AddFrame(Frame(2), 8, new FlacTestEncoder.Fixed(3, 10, PartitionOrder: 1, Escape: true, WastedBits: 2), new FlacTestEncoder.Fixed(4, 12));
        enc.AddFrame(Frame(3), 9, new FlacTestEncoder.Verbatim(), new FlacTestEncoder.Fixed(2, 10, PartitionOrder: 4));
        enc.AddFrame(Frame(4), 10, new FlacTestEncoder.Lpc(new[] { 1843, -1024 }, 12, 10, 9, PartitionOrder: 3, Rice2: true), new FlacTestEncoder.Fixed(0, 13));
        return enc.ToArray();
    }

    [TestMethod]
    public void HandAssembledFlacDecodesExactly()
    {
        var audio = DecodeBytes(HandFlac(out var samples), "hand.flac");
        Assert.AreEqual(44100, audio.SampleRate);
        for (int c = 0; c < 2; c++) AssertSamples(samples[c].Select(v => v / 32768f).ToArray(), audio.Channels[c], $"channel {c}");
    }

    [TestMethod]
    public void HandAssembledFlacWithWastedBitsAnd24Bits()
    {
        const int n = 40;
        var x = Enumerable.Range(0, n).Select(i => (int)(3_000_000 * Math.Cos(i * 0.3)) & ~0xF).ToArray();
        var enc = new FlacTestEncoder(96000, 1, 24, n, n);
        enc.AddFrame(new[] { x }, 0, new FlacTestEncoder.Fixed(2, 14, WastedBits: 4));
        var audio = DecodeBytes(enc.ToArray(), "wasted24.flac");
        AssertSamples(x.Select(v => v / 8388608f).ToArray(), audio.Channels[0], "24-bit with 4 wasted bits");
    }

    private static string? Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static void Run(string tool, params string[] args)
    {
        var run = ChildProcess.Run(tool, args);
        Assert.AreEqual(0, run.Code, $"{tool} {string.Join(' ', args)} failed: {run.Error}");
    }

    [TestMethod]
    public void FlacFromTheReferenceEncoderEqualsItsWav()
    {
        string? flac = Tool("flac");
        if (flac is null) { Assert.Inconclusive("the 'flac' tool is not installed (apt-get install flac); the hand-assembled FLAC tests still run."); return; }
        using var dir = TestPaths.NewTempDir();
        var sources = new (string Name, byte[] Wav, string Options)[]
        {
            ("fixture_stereo16", File.ReadAllBytes(TestPaths.Fixture("mert-tiny", "inputs", "tune44k_stereo16.wav")), "-8"),
            ("fixture_mono16_fast", File.ReadAllBytes(TestPaths.Fixture("mert-tiny", "inputs", "tune24k_mono16.wav")), "-0"),
            ("stereo24", Build(Pcm, 2, 48000, 24, Int24(Enumerable.Range(0, 2 * 30000).Select(i => (int)(6_000_000 * Math.Sin(i * 0.0113)) + i % 97).ToArray())), "-5"),
            ("mono8", Build(Pcm, 1, 11025, 8, Enumerable.Range(0, 20000).Select(i => (byte)(128 + 100 * Math.Sin(i * 0.05))).ToArray()), "-5"),
            ("six_channels", Build(Pcm, 6, 44100, 16, Int16(Enumerable.Range(0, 6 * 9000).Select(i => (short)(8000 * Math.Sin(i * 0.001 * (1 + i % 6)))).ToArray()), extensible: true), "-5"),
        };
        foreach (var (name, wav, options) in sources)
        {
            string wavPath = Path.Combine(dir.Path, name + ".wav"), flacPath = Path.Combine(dir.Path, name + ".flac");
            File.WriteAllBytes(wavPath, wav);
            Run(flac, options, "--silent", "-f", "-o", flacPath, wavPath);
            var expected = AudioDecoder.Decode(wavPath);
            var actual = AudioDecoder.Decode(flacPath);
            Assert.AreEqual(expected.SampleRate, actual.SampleRate, name);
            Assert.AreEqual(expected.ChannelCount, actual.ChannelCount, name);
            for (int c = 0; c < expected.ChannelCount; c++) AssertSamples(expected.Channels[c], actual.Channels[c], $"{name} channel {c}");
            TestContext.WriteLine($"{name}: {actual.FrameCount} frames × {actual.ChannelCount} identical to the WAV");
        }
    }

    [TestMethod]
    public void Mp3FromLameKeepsTheSourceLengthAndAlignment()
    {
        string? lame = Tool("lame");
        if (lame is null) { Assert.Inconclusive("the 'lame' tool is not installed (apt-get install lame); the fixture MP3 test still runs."); return; }
        using var dir = TestPaths.NewTempDir();
        // MPEG-1 stereo, MPEG-1 mono, MPEG-2 (22.05 kHz, 576 samples per frame), VBR: the gapless trim must give back the
        // source length, and the decoded signal must line up with the source (no shift: best lag 0).
        var sources = new (string Name, int Rate, int Channels, int Frames, string Options)[]
        {
            ("stereo44k_cbr", 44100, 2, 100_000, "-b 192"),
            ("mono48k_vbr", 48000, 1, 77_777, "-V 2"),
            ("stereo22k_mpeg2", 22050, 2, 50_001, "-b 96"),
        };
        foreach (var (name, rate, channels, frames, options) in sources)
        {
            string wavPath = Path.Combine(dir.Path, name + ".wav"), mp3Path = Path.Combine(dir.Path, name + ".mp3");
            File.WriteAllBytes(wavPath, Music16(rate, channels, frames));
            Run(lame, [.. "--quiet --noreplaygain".Split(' '), .. options.Split(' '), wavPath, mp3Path]);
            var wav = AudioDecoder.Decode(wavPath);
            var mp3 = AudioDecoder.Decode(mp3Path);
            Assert.AreEqual(rate, mp3.SampleRate, name);
            Assert.AreEqual(channels, mp3.ChannelCount, name);
            Assert.AreEqual(frames, mp3.FrameCount, $"{name}: gapless length");
            var x = wav.Channels[0];
            var y = mp3.Channels[0];
            int bestLag = 0;
            double best = double.MinValue;
            for (int lag = -600; lag <= 600; lag++) // a missed decoder delay would show as 529
            {
                double dot = 0;
                for (int i = 2000; i < 20000; i++) dot += (double)x[i] * y[i + lag];
                if (dot > best) { best = dot; bestLag = lag; }
            }
            double signal = 0, noise = 0;
            for (int i = 0; i < frames; i++) { signal += (double)x[i] * x[i]; noise += Math.Pow(x[i] - y[i], 2); }
            double snr = 10 * Math.Log10(signal / noise);
            TestContext.WriteLine($"{name}: {mp3.FrameCount} frames (source {frames}), best lag {bestLag}, SNR {snr:F1} dB");
            Assert.AreEqual(0, bestLag, $"{name}: decoded signal is shifted");
            Assert.IsTrue(snr > 15, $"{name}: SNR {snr:F1} dB");
        }
    }

    [TestMethod]
    public void OggVorbisFromOggencDecodes()
    {
        string? oggenc = Tool("oggenc");
        if (oggenc is null) { Assert.Inconclusive("the 'oggenc' tool is not installed (apt-get install vorbis-tools)."); return; }
        using var dir = TestPaths.NewTempDir();
        string wavPath = TestPaths.Fixture("mert-tiny", "inputs", "tune44k_stereo16.wav"), oggPath = Path.Combine(dir.Path, "tune.ogg");
        Run(oggenc, "-Q", "-q", "6", "-o", oggPath, wavPath);
        var wav = AudioDecoder.Decode(wavPath);
        var ogg = AudioDecoder.Decode(oggPath);
        Assert.AreEqual(wav.SampleRate, ogg.SampleRate);
        Assert.AreEqual(wav.ChannelCount, ogg.ChannelCount);
        Assert.AreEqual(wav.FrameCount, ogg.FrameCount, "Vorbis granule positions give the exact length");
        for (int c = 0; c < 2; c++)
        {
            double signal = 0, noise = 0;
            for (int i = 0; i < wav.FrameCount; i++)
            {
                signal += (double)wav.Channels[c][i] * wav.Channels[c][i];
                noise += Math.Pow(wav.Channels[c][i] - ogg.Channels[c][i], 2);
                float k = ogg.Channels[c][i] * 32768f;
                Assert.AreEqual(MathF.Round(k), k, "libsox reads Vorbis as 16-bit integers");
            }
            double snr = 10 * Math.Log10(signal / noise);
            TestContext.WriteLine($"ogg channel {c}: SNR {snr:F1} dB against the source WAV");
            Assert.IsTrue(snr > 20, $"ogg channel {c}: SNR {snr:F1} dB");
        }
    }
}
