using NVorbis;

namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>OGG/Vorbis through NVorbis, quantised as torchaudio 0.13's libsox reads it: libsox decodes Vorbis with
/// libvorbisfile's <c>ov_read</c> to 16-bit integers (round to nearest, clipped), so samples are k/32768.</summary>
internal sealed class OggVorbisReader : IAudioSampleReader
{
    private readonly string _name;
    private readonly VorbisReader _vorbis;
    private float[] _interleaved = Array.Empty<float>();

    public int SampleRate { get; }
    public int ChannelCount { get; }
    public long? FrameCountHint { get; }

    public OggVorbisReader(Stream stream, string name)
    {
        _name = name;
        try
        {
            _vorbis = new VorbisReader(stream, closeOnDispose: true);
        }
        catch (Exception e)
        {
            stream.Dispose();
            throw new AudioDecodingException(name, "cannot decode the OGG/Vorbis stream: " + e.Message, e);
        }
        SampleRate = _vorbis.SampleRate;
        ChannelCount = _vorbis.Channels;
        if (SampleRate <= 0 || ChannelCount <= 0)
        {
            _vorbis.Dispose();
            throw new AudioDecodingException(name, "the Vorbis stream has no valid sample rate or channel count.");
        }
        long total = _vorbis.TotalSamples;
        FrameCountHint = total > 0 ? total : null;
    }

    public int Read(float[][] channels, int offset, int maxFrames)
    {
        int c = ChannelCount;
        int samples = maxFrames * c;
        if (_interleaved.Length < samples) _interleaved = new float[samples];
        int got = 0;
        while (got < samples)
        {
            int n = _vorbis.ReadSamples(_interleaved, got, samples - got);
            if (n <= 0) break;
            got += n;
        }
        int frames = got / c;
        for (int ch = 0; ch < c; ch++)
        {
            var dest = channels[ch];
            for (int i = 0; i < frames; i++) dest[offset + i] = ToInt16Grid(_interleaved[i * c + ch]);
        }
        return frames;
    }

    /// <summary><c>ov_read</c>'s conversion: round(x·32768) clipped to [−32768, 32767], then libsox's /32768.</summary>
    internal static float ToInt16Grid(float x)
    {
        float v = MathF.Round(x * 32768f);
        if (v > 32767f) v = 32767f;
        else if (v < -32768f) v = -32768f;
        else if (float.IsNaN(v)) v = 0f;
        return v / 32768f;
    }

    public void Dispose() => _vorbis.Dispose();
}
