using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ClaMP3.ML.Preprocessing.Audio;

/// <summary>The resampler of <c>torchaudio.transforms.Resample(from, to)</c> with its defaults (torchaudio 0.13):
/// a Hann-windowed sinc polyphase filter, lowpass width 6, rolloff 0.99 (fixtures README, mert-tiny "Exact semantics" 3).</summary>
/// <remarks>The kernel is built in float64 exactly as torchaudio builds it, including the float32 rounding of the phase
/// offsets (an int64 tensor divided by an int), and stored as float32. It is applied like torchaudio's
/// <c>conv1d(stride = from/g)</c> over the signal zero-padded by <c>width</c> on the left and <c>width + from/g</c> on the
/// right, the phases interleaved and the result cut to ceil(to·N/from). Each output is one chain of float32 fused
/// multiply-adds over the taps in order, vectorised across phases or frames; this reproduced libtorch's CPU conv1d bit
/// for bit on the fixtures (44.1 and 16 kHz).</remarks>
public sealed class SincResampler
{
    public const int LowpassFilterWidth = 6;
    public const double Rolloff = 0.99;
    /// <summary>Largest kernel built (floats): 64 Mi = 256 MB, far above any standard rate (44.1 kHz: 80 × 171).</summary>
    public const long MaxKernelSize = 1L << 26;

    private static readonly ConcurrentDictionary<(int, int), SincResampler> Cache = new();

    /// <summary>Input rate divided by gcd(from, to).</summary>
    public int ReducedFrom { get; }
    /// <summary>Output rate divided by gcd(from, to): the number of phases.</summary>
    public int ReducedTo { get; }
    /// <summary>Zero padding on the left (torchaudio's <c>width</c>).</summary>
    public int Width { get; }
    /// <summary>Taps per phase: 2·width + ReducedFrom.</summary>
    public int Taps { get; }

    // Phase j's taps at [j * _stride, j * _stride + Taps), zero up to _stride (a multiple of the SIMD width).
    private readonly float[] _kernel;
    private readonly int _stride;
    // For many phases (n ≥ SIMD width, e.g. 80 for 44.1 kHz): the kernel transposed, tap m's phases at
    // [m * _phaseStride, m * _phaseStride + n), zero up to _phaseStride. Each frame is then a sum over taps of a
    // broadcast input sample times a vector of phases, written out contiguously with no horizontal sums.
    private readonly float[]? _kernelByTap;
    private readonly int _phaseStride;

    private SincResampler(int fromRate, int toRate)
    {
        int g = Gcd(fromRate, toRate);
        int o = fromRate / g, n = toRate / g;
        ReducedFrom = o;
        ReducedTo = n;
        double baseFreq = Math.Min(o, n) * Rolloff;
        Width = (int)Math.Ceiling(LowpassFilterWidth * (double)o / baseFreq);
        Taps = 2 * Width + o;
        int lanes = Vector<float>.Count;
        _stride = (Taps + lanes - 1) / lanes * lanes;
        _kernel = new float[n * _stride];
        double scale = baseFreq / o;
        for (int j = 0; j < n; j++)
        {
            // torch.arange(0, -n, -1) / n: integer tensor / int → float32 division.
            double phase = (float)-j / (float)n;
            for (int m = 0; m < Taps; m++)
            {
                double t = phase + (double)(m - Width) / o;
                t *= baseFreq;
                t = Math.Clamp(t, -LowpassFilterWidth, LowpassFilterWidth);
                double window = Math.Cos(t * Math.PI / LowpassFilterWidth / 2);
                window *= window;
                t *= Math.PI;
                double k = t == 0 ? 1.0 : Math.Sin(t) / t;
                k *= window * scale;
                _kernel[j * _stride + m] = (float)k;
            }
        }
        if (n >= lanes)
        {
            _phaseStride = (n + lanes - 1) / lanes * lanes;
            _kernelByTap = new float[Taps * _phaseStride];
            for (int m = 0; m < Taps; m++)
                for (int j = 0; j < n; j++) _kernelByTap[m * _phaseStride + j] = _kernel[j * _stride + m];
        }
    }

    /// <summary>The (cached) resampler for a rate pair; both rates must be positive.</summary>
    public static SincResampler For(int fromRate, int toRate)
    {
        if (fromRate <= 0 || toRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive (got {fromRate} → {toRate}).");
        // torchaudio's kernel has (to/g) × (2·width + from/g) taps: for coprime rates such as 44101 → 24000 that is
        // billions of values (torchaudio would build it too). Refuse clearly instead of running out of memory.
        int g = Gcd(fromRate, toRate);
        long o = fromRate / g, n = toRate / g;
        long taps = 2 * (long)Math.Ceiling(LowpassFilterWidth * (double)o / (Math.Min(o, n) * Rolloff)) + o;
        if (n * taps > MaxKernelSize)
            throw new NotSupportedException($"resampling {fromRate} Hz → {toRate} Hz needs a {n}×{taps} polyphase kernel " +
                $"(gcd {g}); rates with so small a common divisor are not supported.");
        return Cache.GetOrAdd((fromRate, toRate), key => new SincResampler(key.Item1, key.Item2));
    }

    /// <summary>Kernel tap <paramref name="tap"/> of phase <paramref name="phase"/> (float32, as torchaudio stores it).</summary>
    public float KernelAt(int phase, int tap) => _kernel[phase * _stride + tap];

    /// <summary>Number of output samples for <paramref name="inputLength"/> input samples: ceil(to·N/from).</summary>
    public long OutputLength(long inputLength) => (ReducedTo * inputLength + ReducedFrom - 1) / ReducedFrom;

    /// <summary>Resamples a whole signal.</summary>
    public float[] Resample(ReadOnlySpan<float> input)
    {
        if (ReducedFrom == ReducedTo) return input.ToArray();
        var stream = CreateStream();
        stream.Push(input);
        return stream.Finish();
    }

    /// <summary>The same filter as <see cref="Resample"/> evaluated with plain scalar loops (no SIMD, no streaming) and the
    /// same FMA chain per output, so the result is identical: the benchmark's baseline and a cross-check.</summary>
    public float[] ResampleScalar(ReadOnlySpan<float> input)
    {
        if (ReducedFrom == ReducedTo) return input.ToArray();
        int o = ReducedFrom, n = ReducedTo, w = Width;
        var padded = new float[input.Length + 2 * w + o];
        input.CopyTo(padded.AsSpan(w));
        long frames = input.Length / o + 1;
        var output = new float[OutputLength(input.Length)];
        for (long f = 0; f < frames; f++)
            for (int j = 0; j < n; j++)
            {
                long q = f * n + j;
                if (q >= output.Length) return output;
                float sum = 0;
                int kernelBase = j * _stride;
                long xBase = f * o;
                for (int m = 0; m < Taps; m++) sum = MathF.FusedMultiplyAdd(_kernel[kernelBase + m], padded[xBase + m], sum);
                output[q] = sum;
            }
        return output;
    }

    /// <summary>A streaming resampler: feed blocks with <see cref="Stream.Push"/>, then call <see cref="Stream.Finish"/>;
    /// the result is identical to <see cref="Resample"/> on the concatenated input. With the input length known in
    /// advance the output is allocated once, at its final size (a 3-hour file then needs one 24 kHz array, no copies).</summary>
    public Stream CreateStream(long expectedInputLength = 0) => new(this, expectedInputLength);

    /// <summary>Computes <paramref name="frames"/> output frames (ReducedTo samples each) from padded input starting at a frame boundary.</summary>
    private void ComputeFrames(ReadOnlySpan<float> padded, int frames, Span<float> output)
    {
        if (_kernelByTap is not null) ComputeFramesByPhase(padded, frames, output);
        else ComputeFramesByFrame(padded, frames, output);
    }

    /// <summary>Many phases: vectorised over phases, up to four vectors of accumulators per pass over the taps.</summary>
    private void ComputeFramesByPhase(ReadOnlySpan<float> padded, int frames, Span<float> output)
    {
        int o = ReducedFrom, n = ReducedTo, taps = Taps, ps = _phaseStride;
        int lanes = Vector<float>.Count;
        int vectors = ps / lanes;
        Span<float> frameOut = ps <= 1024 ? stackalloc float[ps] : new float[ps];
        ref float k0 = ref MemoryMarshal.GetArrayDataReference(_kernelByTap!);
        ref float x0 = ref MemoryMarshal.GetReference(padded);
        ref float out0 = ref MemoryMarshal.GetReference(frameOut);
        for (int f = 0; f < frames; f++)
        {
            ref float xf = ref Unsafe.Add(ref x0, f * o);
            int v = 0;
            for (; v + 4 <= vectors; v += 4)
            {
                Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
                nuint col = (nuint)(v * lanes);
                for (int m = 0; m < taps; m++)
                {
                    var xv = new Vector<float>(Unsafe.Add(ref xf, m));
                    ref float km = ref Unsafe.Add(ref k0, m * ps);
                    a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col), xv, a0);
                    a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col + (nuint)lanes), xv, a1);
                    a2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col + (nuint)(2 * lanes)), xv, a2);
                    a3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col + (nuint)(3 * lanes)), xv, a3);
                }
                a0.StoreUnsafe(ref out0, col);
                a1.StoreUnsafe(ref out0, col + (nuint)lanes);
                a2.StoreUnsafe(ref out0, col + (nuint)(2 * lanes));
                a3.StoreUnsafe(ref out0, col + (nuint)(3 * lanes));
            }
            for (; v + 2 <= vectors; v += 2)
            {
                Vector<float> a0 = default, a1 = default;
                nuint col = (nuint)(v * lanes);
                for (int m = 0; m < taps; m++)
                {
                    var xv = new Vector<float>(Unsafe.Add(ref xf, m));
                    ref float km = ref Unsafe.Add(ref k0, m * ps);
                    a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col), xv, a0);
                    a1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref km, col + (nuint)lanes), xv, a1);
                }
                a0.StoreUnsafe(ref out0, col);
                a1.StoreUnsafe(ref out0, col + (nuint)lanes);
            }
            for (; v < vectors; v++)
            {
                Vector<float> a0 = default;
                nuint col = (nuint)(v * lanes);
                for (int m = 0; m < taps; m++)
                    a0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref Unsafe.Add(ref k0, m * ps), col), new Vector<float>(Unsafe.Add(ref xf, m)), a0);
                a0.StoreUnsafe(ref out0, col);
            }
            frameOut[..n].CopyTo(output.Slice(f * n, n));
        }
    }

    /// <summary>Few phases (e.g. 2→3 for 16 kHz, 2→1 for 48 kHz): vectorised over consecutive frames of one phase. The
    /// input is split into its <c>o</c> polyphase streams so that tap m of frames f…f+7 is one contiguous load.</summary>
    private void ComputeFramesByFrame(ReadOnlySpan<float> padded, int frames, Span<float> output)
    {
        int o = ReducedFrom, n = ReducedTo, taps = Taps, lanes = Vector<float>.Count;
        int fullBlocks = frames / lanes * lanes;
        if (fullBlocks > 0)
        {
            int q = fullBlocks + (taps + o - 1) / o;
            var streams = new float[o * q];
            for (int r = 0; r < o; r++)
            {
                var dest = streams.AsSpan(r * q, q);
                for (int i = 0, idx = r; i < q && idx < padded.Length; i++, idx += o) dest[i] = padded[idx];
            }
            Span<int> streamOffset = taps <= 512 ? stackalloc int[taps] : new int[taps];
            for (int m = 0; m < taps; m++) streamOffset[m] = m % o * q + m / o;
            Span<float> lane = stackalloc float[lanes];
            ref float s0 = ref MemoryMarshal.GetArrayDataReference(streams);
            for (int j = 0; j < n; j++)
            {
                var kernel = _kernel.AsSpan(j * _stride, taps);
                for (int f0 = 0; f0 < fullBlocks; f0 += lanes)
                {
                    var acc = Vector<float>.Zero;
                    for (int m = 0; m < taps; m++)
                        acc = Vector.FusedMultiplyAdd(new Vector<float>(kernel[m]), Vector.LoadUnsafe(ref s0, (nuint)(streamOffset[m] + f0)), acc);
                    acc.CopyTo(lane);
                    for (int l = 0; l < lanes; l++) output[(f0 + l) * n + j] = lane[l];
                }
            }
        }
        for (int f = fullBlocks; f < frames; f++)
            for (int j = 0; j < n; j++)
            {
                var kernel = _kernel.AsSpan(j * _stride, taps);
                var x = padded.Slice(f * o, taps);
                float acc = 0f;
                for (int m = 0; m < taps; m++) acc = MathF.FusedMultiplyAdd(kernel[m], x[m], acc);
                output[f * n + j] = acc;
            }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Incremental application of the filter (bounded memory apart from the output).</summary>
    public sealed class Stream
    {
        private readonly SincResampler _r;
        private float[] _pending; // padded input from the current frame start
        private int _pendingCount;
        private long _inputLength;
        private readonly FloatBuffer _output;
        private bool _finished;

        internal Stream(SincResampler resampler, long expectedInputLength)
        {
            _r = resampler;
            // The expected length comes from a file header (a 42-byte FLAC may declare 2^36 samples): reserve at most
            // MaxReserve up front and grow with the data actually decoded.
            long expected = resampler.OutputLength(Math.Clamp(expectedInputLength, 0, 1L << 40));
            _output = new FloatBuffer((int)Math.Clamp(expected, 1024, AudioBlocks.MaxReserveSamples));
            _pending = new float[Math.Max(4096, 2 * resampler._stride)];
            _pendingCount = resampler.Width; // left zero padding
        }

        /// <summary>Output produced so far (not yet final until <see cref="Finish"/>).</summary>
        public int OutputCount => _output.Count;

        public void Push(ReadOnlySpan<float> input)
        {
            if (_finished) throw new InvalidOperationException("the resampler stream is finished.");
            if (_r.ReducedFrom == _r.ReducedTo) { _output.Append(input); _inputLength += input.Length; return; }
            while (input.Length > 0)
            {
                int room = _pending.Length - _pendingCount;
                if (room == 0)
                {
                    Drain();
                    room = _pending.Length - _pendingCount;
                    if (room == 0) Array.Resize(ref _pending, _pending.Length * 2);
                    continue;
                }
                int take = Math.Min(room, input.Length);
                input[..take].CopyTo(_pending.AsSpan(_pendingCount));
                _pendingCount += take;
                _inputLength += take;
                input = input[take..];
            }
            Drain();
        }

        /// <summary>Pads the end, computes the last frames and returns the whole output, cut to ceil(to·N/from).</summary>
        public float[] Finish()
        {
            if (_finished) throw new InvalidOperationException("the resampler stream is finished.");
            _finished = true;
            if (_r.ReducedFrom == _r.ReducedTo) return _output.ToArray();
            // Right padding width + from, plus zeros so the last SIMD loads stay inside the data.
            int extra = _r.Width + _r.ReducedFrom + _r._stride;
            if (_pending.Length < _pendingCount + extra) Array.Resize(ref _pending, _pendingCount + extra);
            Array.Clear(_pending, _pendingCount, extra);
            _pendingCount += _r.Width + _r.ReducedFrom;
            // conv1d frames over the padded signal: floor((L + 2w + o - taps)/o) + 1 = floor(L/o) + 1 in total.
            long totalFrames = _inputLength / _r.ReducedFrom + 1;
            long framesDone = _output.Count / _r.ReducedTo;
            int frames = (int)(totalFrames - framesDone);
            if (frames > 0)
            {
                var span = _output.AppendUninitialised(frames * _r.ReducedTo);
                _r.ComputeFrames(_pending, frames, span);
            }
            long target = _r.OutputLength(_inputLength);
            return _output.ToArray((int)Math.Min(target, _output.Count));
        }

        private void Drain()
        {
            // A frame can be computed when its whole SIMD-padded tap range is present.
            int o = _r.ReducedFrom;
            int frames = _pendingCount >= _r._stride ? (_pendingCount - _r._stride) / o + 1 : 0;
            if (frames <= 0) return;
            var span = _output.AppendUninitialised(frames * _r.ReducedTo);
            _r.ComputeFrames(_pending, frames, span);
            int consumed = frames * o;
            Array.Copy(_pending, consumed, _pending, 0, _pendingCount - consumed);
            _pendingCount -= consumed;
        }
    }
}

/// <summary>More samples than one .NET array holds (about 24.8 hours at 24 kHz).</summary>
internal sealed class AudioLengthException(string message) : Exception(message);

/// <summary>Buffer sizes for block-wise decoding, bounded whatever a header declares: a block holds at most
/// <see cref="MaxBlockSamples"/> samples over all channels (a one-frame WAV may declare 65,535 channels), and
/// up-front reservations from declared lengths are capped at <see cref="MaxReserveSamples"/>.</summary>
internal static class AudioBlocks
{
    public const int FramesPerBlock = 16384;
    public const int MaxBlockSamples = 1 << 18;
    public const int MaxReserveSamples = 1 << 22;

    /// <summary>Frames per block for <paramref name="channels"/> channels (at least one).</summary>
    public static int Frames(int channels) => Math.Clamp(MaxBlockSamples / Math.Max(1, channels), 1, FramesPerBlock);

    /// <summary>Per-channel buffers of <see cref="Frames"/> frames.</summary>
    public static float[][] Buffers(int channels, out int frames)
    {
        frames = Frames(channels);
        var buffers = new float[channels][];
        for (int c = 0; c < channels; c++) buffers[c] = new float[frames];
        return buffers;
    }

    /// <summary>The initial per-channel capacity for a declared frame count.</summary>
    public static int Reserve(long? declaredFrames, int channels) =>
        (int)Math.Clamp(declaredFrames ?? 1024, 0, MaxReserveSamples / Math.Max(1, channels));
}

/// <summary>A growable float array (List&lt;float&gt; without per-element overhead).</summary>
internal sealed class FloatBuffer
{
    private float[] _data;
    public int Count { get; private set; }

    public FloatBuffer(int capacity = 1024) => _data = new float[Math.Max(16, capacity)];

    public void Append(ReadOnlySpan<float> values) => values.CopyTo(AppendUninitialised(values.Length));

    public Span<float> AppendUninitialised(int count)
    {
        long needed = (long)Count + count;
        if (needed > Array.MaxLength) throw new AudioLengthException($"the audio is too long: more than {Array.MaxLength} samples in one array.");
        if (needed > _data.Length)
            Array.Resize(ref _data, (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_data.Length * 2)));
        var span = _data.AsSpan(Count, count);
        Count += count;
        return span;
    }

    public float[] ToArray() => ToArray(Count);

    public float[] ToArray(int count)
    {
        if (count == _data.Length) return _data;
        return _data.AsSpan(0, count).ToArray();
    }
}
