namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>Decoded audio as float32 samples per channel: <c>Channels[c][i]</c>, all channels the same length
/// (what <c>torchaudio.load</c> returns as a (C, N) tensor).</summary>
public sealed record DecodedAudio(float[][] Channels, int SampleRate)
{
    public int ChannelCount => Channels.Length;
    public int FrameCount => Channels.Length == 0 ? 0 : Channels[0].Length;
    public double DurationSeconds => SampleRate > 0 ? (double)FrameCount / SampleRate : 0;
}
