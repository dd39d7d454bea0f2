namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>The audio container formats recognised from a file's first bytes.</summary>
public enum AudioFormat { Unknown, Wav, Mp3, Flac, OggVorbis, /** An Ogg container with another codec (Opus, FLAC, Speex…): not supported. */ OggOther }

/// <summary>Decodes WAV, MP3, FLAC and OGG/Vorbis to float32 channels the way CLaMP 3's reference environment
/// (<c>torchaudio.load</c>, torchaudio 0.13) does. The format is detected from the content, not the extension.</summary>
public static class AudioDecoder
{
    /// <summary>The extensions the batch tools pick up (case-insensitive).</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = new[] { ".wav", ".mp3", ".flac", ".ogg" };

    public static DecodedAudio Decode(string path)
    {
        using var reader = OpenReader(path);
        return ReadAll(reader, path);
    }

    public static DecodedAudio Decode(Stream stream, string? nameForErrors = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = nameForErrors ?? "<stream>";
        using var reader = OpenReader(stream, name, leaveOpen: true);
        return ReadAll(reader, name);
    }

    /// <summary>Opens a file for block-wise decoding. Throws <see cref="AudioDecodingException"/> naming the file.</summary>
    public static IAudioSampleReader OpenReader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioDecodingException(path, "cannot open the file: " + e.Message, e);
        }
        try
        {
            return OpenReader(stream, path, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a stream for block-wise decoding; non-seekable streams are buffered in memory first.</summary>
    public static IAudioSampleReader OpenReader(Stream stream, string nameForErrors, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream source = stream;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            if (!leaveOpen) stream.Dispose();
            source = copy;
            leaveOpen = false;
        }
        Stream owned = leaveOpen ? new NonClosingStream(source) : source;
        try
        {
            var format = DetectFormat(owned, out long audioStart);
            owned.Position = audioStart;
            return format switch
            {
                AudioFormat.Wav => new WavReader(owned, nameForErrors),
                AudioFormat.Flac => new FlacReader(owned, nameForErrors),
                AudioFormat.Mp3 => new Mp3Reader(owned, nameForErrors),
                AudioFormat.OggVorbis => new OggVorbisReader(owned, nameForErrors),
                AudioFormat.OggOther => throw new AudioDecodingException(nameForErrors, "an Ogg file whose first stream is not Vorbis (Opus, Ogg FLAC…); only Ogg/Vorbis is supported."),
                _ => throw new AudioDecodingException(nameForErrors, owned.Length == 0
                    ? "the file is empty."
                    : "not a recognised audio file (WAV, MP3, FLAC or OGG/Vorbis, detected from the content)."),
            };
        }
        catch (AudioDecodingException)
        {
            owned.Dispose();
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            owned.Dispose();
            throw new AudioDecodingException(nameForErrors, "cannot decode the audio: " + e.Message, e);
        }
    }

    /// <summary>Detects the format from the first bytes; <paramref name="audioStart"/> is where the decoder should start
    /// (after ID3v2 tags for FLAC; MP3 readers handle the tags themselves).</summary>
    public static AudioFormat DetectFormat(Stream stream, out long audioStart)
    {
        long origin = stream.Position;
        audioStart = origin;
        var head = new byte[64];
        stream.Position = origin;
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var span = head.AsSpan(0, got);
        if (got >= 12 && span[..4].SequenceEqual("RIFF"u8) && span[8..12].SequenceEqual("WAVE"u8)) return AudioFormat.Wav;
        if (got >= 4 && span[..4].SequenceEqual("fLaC"u8)) return AudioFormat.Flac;
        if (got >= 36 && span[..4].SequenceEqual("OggS"u8))
            return span[28..35].SequenceEqual("\u0001vorbis"u8) ? AudioFormat.OggVorbis : AudioFormat.OggOther;
        // Skip ID3v2 tags: FLAC files may carry one too.
        long pos = origin;
        while (got >= 10 && span[..3].SequenceEqual("ID3"u8))
        {
            int size = (span[6] & 0x7F) << 21 | (span[7] & 0x7F) << 14 | (span[8] & 0x7F) << 7 | (span[9] & 0x7F);
            pos += 10 + size + ((span[5] & 0x10) != 0 ? 10 : 0);
            stream.Position = pos;
            got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            span = head.AsSpan(0, got);
        }
        if (got >= 4 && span[..4].SequenceEqual("fLaC"u8)) { audioStart = pos; return AudioFormat.Flac; }
        if (Mp3Reader.FindFirstFrame(stream, pos, 1 << 16) >= 0) return AudioFormat.Mp3;
        return AudioFormat.Unknown;
    }

    internal static DecodedAudio ReadAll(IAudioSampleReader reader, string name)
    {
        int channels = reader.ChannelCount;
        var buffers = new FloatBuffer[channels];
        // Pre-size from the header (bounded over all channels, in case it lies) so that long files are not copied while growing.
        int capacity = AudioBlocks.Reserve(reader.FrameCountHint, channels);
        for (int c = 0; c < channels; c++) buffers[c] = new FloatBuffer(capacity);
        var tmp = AudioBlocks.Buffers(channels, out int block);
        int got;
        try
        {
            while ((got = ReadChecked(reader, tmp, block, name)) > 0)
                for (int c = 0; c < channels; c++) buffers[c].Append(tmp[c].AsSpan(0, got));
        }
        catch (AudioLengthException e)
        {
            throw new AudioDecodingException(name, e.Message + " Use MertAudioPreprocessor.Prepare(path), which keeps only the 24 kHz mono signal.", e);
        }
        return new DecodedAudio(buffers.Select(b => b.ToArray()).ToArray(), reader.SampleRate);
    }

    /// <summary>Reads a block, turning decoder failures into <see cref="AudioDecodingException"/>s that name the file.</summary>
    internal static int ReadChecked(IAudioSampleReader reader, float[][] buffers, int maxFrames, string name)
    {
        try
        {
            return reader.Read(buffers, 0, maxFrames);
        }
        catch (AudioDecodingException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new AudioDecodingException(name, "the audio data is corrupt: " + e.Message, e);
        }
    }

    /// <summary>Lets a reader dispose its stream without closing the caller's.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
