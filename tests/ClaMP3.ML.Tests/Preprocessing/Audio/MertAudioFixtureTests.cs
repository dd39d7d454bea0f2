using System.Text.Json;
using ClaMP3.ML.IO;
using ClaMP3.ML.Preprocessing.Audio;

namespace ClaMP3.ML.Tests.Preprocessing.Audio;

/// <summary>Parity of decoding, mono mix, resampling, normalisation and windowing with every audio case of
/// <c>fixtures/mert-tiny/manifest.json</c>, at the tolerances the manifest proposes.</summary>
[TestClass]
public sealed class MertAudioFixtureTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly Lazy<JsonElement> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("mert-tiny", "manifest.json"))).RootElement);

    private static IEnumerable<JsonElement> Cases => Manifest.Value.GetProperty("cases").EnumerateArray();

    private static double Tolerance(string stage) => Manifest.Value.GetProperty("tolerances").GetProperty(stage).GetProperty("atol").GetDouble();

    private static float[] Expected(JsonElement c, string stage) =>
        NpyFile.Read(TestPaths.Fixture("mert-tiny", c.GetProperty("expected").GetProperty(stage).GetProperty("file").GetString()!)).ToFloat32();

    private static string Input(JsonElement c) => TestPaths.Fixture("mert-tiny", c.GetProperty("input").GetString()!);

    /// <summary>Largest |a − e| and where; asserts equal lengths.</summary>
    private static (double Worst, int Index) WorstDifference(float[] actual, float[] expected, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        double worst = 0;
        int index = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (!(d <= worst)) { worst = d; index = i; }
        }
        return (worst, index);
    }

    private void AssertClose(float[] actual, float[] expected, double atol, string what)
    {
        var (worst, index) = WorstDifference(actual, expected, what);
        string message = $"{what}: worst |diff| {worst:E3} at {index} (atol {atol:E1})";
        TestContext.WriteLine(message);
        Assert.IsTrue(worst <= atol, message);
    }

    [TestMethod]
    public void ResampledMatchesEveryCase()
    {
        foreach (var c in Cases)
        {
            string name = c.GetProperty("name").GetString()!;
            var expected = Expected(c, "resampled");
            // WAV decoding is exact and the resampler is one FMA chain per output in tap order, which reproduced
            // libtorch's conv1d bit for bit: demand that for the WAV cases, the manifest tolerance for the MP3 (decoder noise).
            double atol = c.GetProperty("container").GetString() == "mp3" ? Tolerance("resampled") : 0;
            // Streaming path (file → blocks → mono → resampler stream) and whole-array path must both match.
            AssertClose(MertAudioPreprocessor.DecodeMono24k(Input(c)), expected, atol, $"{name} resampled (streamed)");
            var decoded = AudioDecoder.Decode(Input(c));
            Assert.AreEqual(c.GetProperty("sample_rate").GetInt32(), decoded.SampleRate, name);
            Assert.AreEqual(c.GetProperty("channels").GetInt32(), decoded.ChannelCount, name);
            Assert.AreEqual(c.GetProperty("decoded_frames").GetInt32(), decoded.FrameCount, $"{name} decoded frames");
            var whole = MertAudioPreprocessor.Resample(MertAudioPreprocessor.ToMono(decoded), decoded.SampleRate);
            AssertClose(whole, expected, atol, $"{name} resampled (whole)");
        }
    }

    [TestMethod]
    public void NormalizedMatchesEveryCase()
    {
        foreach (var c in Cases)
        {
            string name = c.GetProperty("name").GetString()!;
            double atol = c.GetProperty("container").GetString() == "mp3" ? Tolerance("normalized") : 0;
            // Normalisation alone, from the expected resampled signal: numpy's float32 semantics reproduced bit for bit.
            var fromExpected = MertAudioPreprocessor.Normalize(Expected(c, "resampled"));
            var expected = Expected(c, "normalized");
            AssertClose(fromExpected, expected, 0, $"{name} normalized (from expected resampled)");
            AssertClose(MertAudioPreprocessor.Prepare(Input(c)), expected, atol, $"{name} normalized (file)");
            AssertClose(MertAudioPreprocessor.Prepare(AudioDecoder.Decode(Input(c))), expected, atol, $"{name} normalized (decoded)");
        }
    }

    [TestMethod]
    public void WindowsMatchEveryCase()
    {
        foreach (var c in Cases)
        {
            string name = c.GetProperty("name").GetString()!;
            var normalized = Expected(c, "normalized");
            var expectedLengths = c.GetProperty("window_lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            if (expectedLengths.Length == 0)
            {
                var e = Assert.ThrowsExactly<AudioTooShortException>(() => MertAudioPreprocessor.Windows(normalized, Input(c)));
                StringAssert.Contains(e.Message, Input(c));
                TestContext.WriteLine($"{name}: {e.Message}");
                continue;
            }
            var windows = MertAudioPreprocessor.Windows(normalized, Input(c));
            CollectionAssert.AreEqual(expectedLengths, windows.Select(w => w.Count).ToArray(), $"{name} window lengths");
            for (int i = 0; i < windows.Count; i++) Assert.AreEqual(i * 120000, windows[i].Offset, $"{name} window {i} offset");
        }
    }

    [TestMethod]
    public void Mp3DecodesLikeFfmpegWithGaplessTrim()
    {
        var c = Cases.Single(x => x.GetProperty("container").GetString() == "mp3");
        var decoded = AudioDecoder.Decode(Input(c));
        var npy = NpyFile.Read(TestPaths.Fixture("mert-tiny", c.GetProperty("expected").GetProperty("decoded").GetProperty("file").GetString()!));
        var expected = npy.ToFloat32();
        int channels = (int)npy.Shape[0], frames = (int)npy.Shape[1];
        Assert.AreEqual(channels, decoded.ChannelCount);
        Assert.AreEqual(frames, decoded.FrameCount, "gapless length: frames·1152 − delay − padding");
        double atol = Tolerance("decoded_mp3");
        for (int ch = 0; ch < channels; ch++)
            AssertClose(decoded.Channels[ch], expected.AsSpan(ch * frames, frames).ToArray(), atol, $"mp3 decoded channel {ch}");
    }

    [TestMethod]
    public void FloatWavFollowsLibsoxRounding()
    {
        // The float WAV cases are exact at 24 kHz: hot24k_f32_clip pins the 2^-24 grid and the clipping to ±1.
        var c = Cases.Single(x => x.GetProperty("name").GetString() == "hot24k_f32_clip");
        var decoded = AudioDecoder.Decode(Input(c));
        AssertClose(decoded.Channels[0], Expected(c, "resampled"), 0, "hot24k_f32_clip decoded");
        Assert.AreEqual(1f, decoded.Channels[0].Max());
        Assert.AreEqual(-1f, decoded.Channels[0].Min());
    }
}
