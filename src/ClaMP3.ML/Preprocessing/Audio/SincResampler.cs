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
/// right, the phases interleaved and the result cut to ceil(to·N/from). Only the summation order of each dot product
/// differs from torch (float32 SIMD here), which stays within about 1e-7.</remarks>
public sealed class SincResampler
{
    public const int LowpassFilterWidth = 6;
    public const double Rolloff = 0.99;

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
    }

    /// <summary>The (cached) resampler for a rate pair; both rates must be positive.</summary>
    public static SincResampler For(int fromRate, int toRate)
    {
        if (fromRate <= 0 || toRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive (got {fromRate} → {toRate}).");
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

    /// <summary>A streaming resampler: feed blocks with <see cref="Stream.Push"/>, then call <see cref="Stream.Finish"/>;
    /// the result is identical to <see cref="Resample"/> on the concatenated input.</summary>
    public Stream CreateStream() => new(this);

    /// <summary>Computes <paramref name="frames"/> output frames (ReducedTo samples each) from padded input starting at a frame boundary.</summary>
    private void ComputeFrames(ReadOnlySpan<float> padded, int frames, Span<float> output)
    {
        int o = ReducedFrom, n = ReducedTo, stride = _stride;
        ref float kernel0 = ref MemoryMarshal.GetArrayDataReference(_kernel);
        ref float x0 = ref MemoryMarshal.GetReference(padded);
        int lanes = Vector<float>.Count;
        int vectors = stride / lanes;
        for (int f = 0; f < frames; f++)
        {
            ref float xf = ref Unsafe.Add(ref x0, f * o);
            int outBase = f * n;
            for (int j = 0; j < n; j++)
            {
                ref float kj = ref Unsafe.Add(ref kernel0, j * stride);
                var acc0 = Vector<float>.Zero;
                var acc1 = Vector<float>.Zero;
                int v = 0;
                for (; v + 1 < vectors; v += 2)
                {
                    acc0 += Vector.LoadUnsafe(ref kj, (nuint)(v * lanes)) * Vector.LoadUnsafe(ref xf, (nuint)(v * lanes));
                    acc1 += Vector.LoadUnsafe(ref kj, (nuint)((v + 1) * lanes)) * Vector.LoadUnsafe(ref xf, (nuint)((v + 1) * lanes));
                }
                if (v < vectors)
                    acc0 += Vector.LoadUnsafe(ref kj, (nuint)(v * lanes)) * Vector.LoadUnsafe(ref xf, (nuint)(v * lanes));
                output[outBase + j] = Vector.Sum(acc0 + acc1);
            }
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
        private readonly FloatBuffer _output = new();
        private bool _finished;

        internal Stream(SincResampler resampler)
        {
            _r = resampler;
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

/// <summary>A growable float array (List&lt;float&gt; without per-element overhead).</summary>
internal sealed class FloatBuffer
{
    private float[] _data = new float[1024];
    public int Count { get; private set; }

    public void Append(ReadOnlySpan<float> values) => values.CopyTo(AppendUninitialised(values.Length));

    public Span<float> AppendUninitialised(int count)
    {
        long needed = (long)Count + count;
        if (needed > Array.MaxLength) throw new InvalidDataException($"audio too long: more than {Array.MaxLength} samples.");
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
