namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>A decoder that delivers audio block by block, so long files need not be held whole.</summary>
public interface IAudioSampleReader : IDisposable
{
    int SampleRate { get; }
    int ChannelCount { get; }

    /// <summary>The number of frames, when the container states it (it may be wrong for truncated files).</summary>
    long? FrameCountHint { get; }

    /// <summary>Reads up to <paramref name="maxFrames"/> frames into <c>channels[c][offset..]</c>;
    /// returns the number read, 0 at the end.</summary>
    int Read(float[][] channels, int offset, int maxFrames);
}
