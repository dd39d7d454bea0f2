using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Inference;

/// <summary>How to load a <see cref="Clamp3Embedder"/>: where the model comes from (<see cref="Clamp3ModelSource"/>) and
/// how many segments run per forward pass. <c>new Clamp3EmbedderOptions(pth) { TokenizerPath = … }</c>.</summary>
public sealed record Clamp3EmbedderOptions : Clamp3ModelSource
{
    /// <param name="CheckpointPath">An official CLaMP 3 checkpoint (<c>.pth</c>), a bare state dict or <c>.safetensors</c>.</param>
#pragma warning disable IDE1006 // the positional record's name, kept so named arguments (CheckpointPath: …) still compile
    public Clamp3EmbedderOptions(string CheckpointPath) : base(CheckpointPath) { } // the positional name, kept for named arguments
#pragma warning restore IDE1006

    /// <summary>The options of a model source (every field copied) and a batch size.</summary>
    public Clamp3EmbedderOptions(Clamp3ModelSource source, int batchSize) : base(source) => BatchSize = batchSize;

    /// <summary>Segments per forward pass. Segments of all items in one call are batched together.</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary><see cref="Global"/>: one projected vector per item (<c>--get_global</c>); <see cref="Sequence"/>: the encoder's
/// last hidden state, one row per input item (token, patch, feature row incl. the two zero rows).</summary>
public enum FeatureKind { Global, Sequence }

/// <summary>One input turned into model items (token ids, patches or framed feature rows), ready for
/// <see cref="Clamp3Embedder.Embed"/>. <see cref="Warnings"/> lists degenerate-but-valid situations (e.g. an empty text).</summary>
public sealed class PreparedInput
{
    internal PreparedInput(Modality modality, int length, int[]? tokenIds, int[][]? patches, float[]? audioRows, int width, IReadOnlyList<string> warnings)
    {
        Modality = modality;
        Length = length;
        TokenIds = tokenIds;
        Patches = patches;
        AudioRows = audioRows;
        Width = width;
        Warnings = warnings;
    }

    public Modality Modality { get; }
    /// <summary>N: tokens, patches, or feature rows (with the two zero rows).</summary>
    public int Length { get; }
    /// <summary>Text: the XLM-R ids (with &lt;s&gt; and &lt;/s&gt;).</summary>
    public int[]? TokenIds { get; }
    /// <summary>Scores: the M3 patches (with the special first and last patches), each of patch_size ids.</summary>
    public int[][]? Patches { get; }
    /// <summary>Audio: N × <see cref="Width"/> feature rows, row-major, framed by one zero row each side.</summary>
    public float[]? AudioRows { get; }
    public int Width { get; }
    public IReadOnlyList<string> Warnings { get; }
}

/// <summary>
/// CLaMP 3 feature extraction, computing what the official <c>extract_feature</c> (code/extract_clamp3.py) computes:
/// texts, ABC/MTF scores and MERT feature arrays to global (projected, <see cref="GlobalDimension"/>) or sequence features.
/// </summary>
/// <remarks>
/// Inputs longer than a segment (MAX_TEXT_LENGTH tokens, PATCH_LENGTH patches, MAX_AUDIO_LENGTH rows) are cut as the
/// official code does: segments of the maximum length, the last one taken as the last max-length items; global = the
/// segment features averaged with weights L…L,(N mod L); sequence = the segments' rows with the overlap trimmed.
/// Segments of all items passed in one call are run together in batches of <see cref="Clamp3EmbedderOptions.BatchSize"/>
/// (padded to the longest segment of the batch, masked: the same numbers as one segment at a time).
/// <para>Thread safety: every public method takes one internal lock, so an instance may be shared between threads;
/// calls are serialised (libtorch and ONNX Runtime already spread each forward pass over the CPU cores).</para>
/// </remarks>
public sealed class Clamp3Embedder : IDisposable
{
    private readonly object _gate = new();
    private readonly XlmRobertaTokenizer? _tokenizer;
    private readonly M3Patchilizer _patchilizer;
    private readonly bool _ownsEngine;
    private bool _disposed;

    private Clamp3Embedder(IClamp3Engine engine, bool ownsEngine, XlmRobertaTokenizer? tokenizer, Clamp3EmbedderOptions options)
    {
        Engine = engine;
        this._ownsEngine = ownsEngine;
        Config = engine.Config;
        this._tokenizer = tokenizer;
        _patchilizer = new M3Patchilizer(Config.PatchSize);
        Options = options;
    }

    /// <summary>Raised with a message for each warning of an input embedded through the <c>Embed*</c> convenience methods
    /// (e.g. ABC that is not interleaved). With no handler attached, warnings go to standard error, so they are never silent.</summary>
    public event Action<string>? Warning;

    public Clamp3Config Config { get; }
    /// <summary>The options this embedder was loaded with (paths, device, batch size, precision).</summary>
    public Clamp3EmbedderOptions Options { get; }
    /// <summary>The forward passes (TorchSharp or ONNX Runtime). Not synchronised: do not call it while another thread
    /// embeds through this instance. The eager network: <c>((TorchClamp3Engine)Engine).Model</c> (ClaMP3.ML.TorchSharp).</summary>
    public IClamp3Engine Engine { get; }
    /// <summary>What runs the encoders, e.g. "torch cpu float32" or "onnx cpu int8".</summary>
    public string EngineDescription => Engine.Description;
    /// <summary>Size of global features (CLAMP3_HIDDEN_SIZE).</summary>
    public int GlobalDimension => Config.Clamp3HiddenSize;
    public Clamp3Precision Precision => Options.Precision;
    public bool HasTokenizer => _tokenizer is not null;

    /// <summary>Width of sequence features for a modality (the encoder's hidden size).</summary>
    public int SequenceDimension(Modality modality) => Encoder(modality).HiddenSize;

    /// <summary>Reads the checkpoint (and config/tokenizer) and builds the engine: ONNX Runtime when
    /// <see cref="Clamp3ModelSource.OnnxDirectory"/> is set, otherwise TorchSharp on the requested device
    /// (which needs the ClaMP3.ML.TorchSharp package).</summary>
    public static Clamp3Embedder Load(Clamp3EmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be at least 1, got {options.BatchSize}.");
        CheckTokenizerPath(options.TokenizerPath);
        var engine = Clamp3Engines.Create(options);
        try
        {
            return new Clamp3Embedder(engine, ownsEngine: true, LoadTokenizer(options.TokenizerPath, engine.Config), options);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>An embedder over an engine built by the caller (which keeps owning it: disposing the embedder leaves the
    /// engine alive). <paramref name="tokenizerPath"/> defaults to the config's <c>tokenizer_model</c>.</summary>
    public static Clamp3Embedder Create(IClamp3Engine engine, string? tokenizerPath = null, int batchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"BatchSize must be at least 1, got {batchSize}.");
        CheckTokenizerPath(tokenizerPath);
        var options = new Clamp3EmbedderOptions(CheckpointPath: "") // no file: the engine was built by the caller
            { TokenizerPath = tokenizerPath, BatchSize = batchSize };
        return new Clamp3Embedder(engine, ownsEngine: false, LoadTokenizer(tokenizerPath, engine.Config), options);
    }

    private static void CheckTokenizerPath(string? tokenizerPath)
    {
        if (tokenizerPath is not null && !File.Exists(tokenizerPath))
            throw new FileNotFoundException($"Tokenizer model not found: {tokenizerPath}", tokenizerPath);
    }

    // The config's tokenizer is optional: a checkpoint used for scores or audio only needs none.
    private static XlmRobertaTokenizer? LoadTokenizer(string? tokenizerPath, Clamp3Config config)
    {
        tokenizerPath ??= config.ExistingTokenizerModel;
        return tokenizerPath is null ? null : XlmRobertaTokenizer.Load(tokenizerPath);
    }

    // ------------------------------------------------------------------ input preparation

    /// <summary>Builds a text input as the official <c>.txt</c> path: lines de-duplicated (first occurrence kept), empty
    /// lines dropped, joined with <c>&lt;/s&gt;</c>, tokenized with <c>&lt;s&gt;…&lt;/s&gt;</c>, no truncation.</summary>
    public PreparedInput PrepareText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_tokenizer is null)
            throw new InvalidOperationException(
                "No XLM-R tokenizer is loaded: set Clamp3EmbedderOptions.TokenizerPath (clamp3 embed --tokenizer) to XLM-R's sentencepiece.bpe.model to embed text.");
        var joined = XlmRobertaTokenizer.BuildTextInput(text);
        int[] ids;
        lock (_gate) ids = _tokenizer.Encode(joined, addSpecialTokens: true);
        var warnings = joined.Length == 0 ? new[] { "the text is empty: it is embedded as <s></s>, as the official code does" } : Array.Empty<string>();
        return new PreparedInput(Modality.Text, ids.Length, ids, null, null, 0, warnings);
    }

    /// <summary>Builds a score input with the M3 patchilizer (ABC, or MTF when the first word is <c>ticks_per_beat</c>),
    /// after the universal-newline translation the official file reading applies.</summary>
    public PreparedInput PrepareScore(string abcOrMtf)
    {
        ArgumentNullException.ThrowIfNull(abcOrMtf);
        var normalized = SourceText.NormalizeNewlines(abcOrMtf);
        int[][] patches;
        lock (_gate) patches = _patchilizer.Encode(normalized, addSpecialPatches: true);
        foreach (var patch in patches)
            if (patch.Length != Config.PatchSize)
                throw new InvalidOperationException($"The patchilizer returned a patch of {patch.Length} ids, expected {Config.PatchSize}.");
        var warnings = new[] { Clamp3Inputs.DescribeNonInterleavedAbc(normalized), Clamp3Inputs.DescribeBarlessAbc(normalized) }
            .OfType<string>().ToArray();
        return new PreparedInput(Modality.Symbolic, patches.Length, null, patches, null, Config.PatchSize, warnings);
    }

    /// <summary>Builds an audio input from MERT features (rows × audio hidden size), framed by one zero row each side.</summary>
    public PreparedInput PrepareAudioFeatures(FeatureMatrix mertFeatures)
    {
        ArgumentNullException.ThrowIfNull(mertFeatures);
        int width = Config.AudioFeatureDim;
        if (mertFeatures.Columns != width)
            throw new ArgumentException($"MERT features must have {width} columns (the audio hidden size), got {mertFeatures.Columns}.", nameof(mertFeatures));
        if (mertFeatures.Rows < 0 || mertFeatures.Values.LongLength != (long)mertFeatures.Rows * mertFeatures.Columns)
            throw new ArgumentException($"A {mertFeatures.Rows}×{mertFeatures.Columns} feature matrix needs {(long)mertFeatures.Rows * mertFeatures.Columns} values, got {mertFeatures.Values.LongLength}.", nameof(mertFeatures));
        if (FiniteValues.FirstNonFinite(mertFeatures.Values) is var bad and >= 0)
            throw new ArgumentException($"MERT features hold NaN or Inf (first at element {bad}); every embedding computed from them would be NaN.", nameof(mertFeatures));
        var rows = Clamp3Inputs.FrameAudioRows(mertFeatures.Values, mertFeatures.Rows, width);
        var warnings = mertFeatures.Rows == 0 ? new[] { "no feature rows: only the two zero frame rows are embedded" } : Array.Empty<string>();
        return new PreparedInput(Modality.Audio, mertFeatures.Rows + 2, null, null, rows, width, warnings);
    }

    // ------------------------------------------------------------------ convenience API

    public FeatureMatrix EmbedText(string text, FeatureKind kind = FeatureKind.Global) => EmbedTexts(new[] { text }, kind)[0];

    public IReadOnlyList<FeatureMatrix> EmbedTexts(IReadOnlyList<string> texts, FeatureKind kind = FeatureKind.Global) =>
        EmbedWithWarnings(texts.Select(PrepareText).ToList(), kind);

    /// <summary>Embeds an ABC or MTF score given as a string (the format is detected as the official patchilizer does).</summary>
    public FeatureMatrix EmbedScore(string abcOrMtf, FeatureKind kind = FeatureKind.Global) => EmbedScores(new[] { abcOrMtf }, kind)[0];

    public IReadOnlyList<FeatureMatrix> EmbedScores(IReadOnlyList<string> scores, FeatureKind kind = FeatureKind.Global) =>
        EmbedWithWarnings(scores.Select(PrepareScore).ToList(), kind);

    /// <summary>Embeds MERT features (rows × audio hidden size, e.g. a <c>(1, T, 768)</c> file read as T rows).</summary>
    public FeatureMatrix EmbedAudioFeatures(FeatureMatrix mertFeatures, FeatureKind kind = FeatureKind.Global) =>
        EmbedAudioFeaturesBatch(new[] { mertFeatures }, kind)[0];

    public IReadOnlyList<FeatureMatrix> EmbedAudioFeaturesBatch(IReadOnlyList<FeatureMatrix> items, FeatureKind kind = FeatureKind.Global) =>
        EmbedWithWarnings(items.Select(PrepareAudioFeatures).ToList(), kind);

    private IReadOnlyList<FeatureMatrix> EmbedWithWarnings(IReadOnlyList<PreparedInput> inputs, FeatureKind kind)
    {
        for (int i = 0; i < inputs.Count; i++)
            foreach (var w in inputs[i].Warnings)
            {
                var message = inputs.Count == 1 ? w : $"item {i}: {w}";
                if (Warning is { } handler) handler(message);
                else Console.Error.WriteLine("warning: " + message);
            }
        return Embed(inputs, kind);
    }

    // ------------------------------------------------------------------ the batched computation

    private readonly record struct Job(int Item, int SegmentIndex, int Start, int Length);

    /// <summary>Embeds prepared inputs (of any modalities), batching the segments of all of them.</summary>
    public IReadOnlyList<FeatureMatrix> Embed(IReadOnlyList<PreparedInput> inputs, FeatureKind kind)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var segments = RunAllSegments(inputs, kind);
            bool global = kind == FeatureKind.Global;
            var results = new FeatureMatrix[inputs.Count];
            for (int i = 0; i < results.Length; i++)
            {
                var modality = inputs[i].Modality;
                int n = inputs[i].Length, maxLength = SegmentLength(modality);
                results[i] = global ? WeightedMean(segments[i], n, maxLength, GlobalDimension) : Concatenate(segments[i], n, maxLength, SequenceDimension(modality));
            }
            // Never hand out NaN silently (e.g. activations overflowing in bfloat16).
            for (int i = 0; i < results.Length; i++)
                if (FiniteValues.FirstNonFinite(results[i].Values) is var bad and >= 0)
                    throw new InvalidOperationException($"Input {i} ({inputs[i].Modality}, {inputs[i].Length} items) gave non-finite features (first at element {bad}); refused rather than returned.");
            return results;
        }
    }

    /// <summary>Per input, per segment (in order): the global vector, or the segment's real rows (row-major), before
    /// the official re-assembly. Exposed for tests (the fixtures' <c>.chunks</c> files).</summary>
    internal float[][][] EmbedSegments(IReadOnlyList<PreparedInput> inputs, FeatureKind kind)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return RunAllSegments(inputs, kind);
        }
    }

    /// <summary>The segment outputs of every input (see <see cref="EmbedSegments"/>), one modality after another (text,
    /// symbolic, audio), so that each engine call batches segments of one encoder. The caller holds the lock.</summary>
    private float[][][] RunAllSegments(IReadOnlyList<PreparedInput> inputs, FeatureKind kind)
    {
        var all = new float[inputs.Count][][];
        bool global = kind == FeatureKind.Global;
        foreach (var modality in new[] { Modality.Text, Modality.Symbolic, Modality.Audio })
        {
            var items = Enumerable.Range(0, inputs.Count).Where(i => inputs[i].Modality == modality).ToList();
            if (items.Count == 0) continue;
            var outputs = RunSegments(inputs, items, modality, global, global ? GlobalDimension : SequenceDimension(modality));
            foreach (var i in items) all[i] = outputs[i];
        }
        return all;
    }

    private Dictionary<int, float[][]> RunSegments(IReadOnlyList<PreparedInput> inputs, List<int> items, Modality modality, bool global, int columns)
    {
        int maxLength = SegmentLength(modality);
        var segmentOutputs = new Dictionary<int, float[][]>();
        var jobs = new List<Job>();
        foreach (var i in items)
        {
            var segments = Clamp3Inputs.PlanSegments(inputs[i].Length, maxLength);
            segmentOutputs[i] = new float[segments.Length][];
            for (int k = 0; k < segments.Length; k++) jobs.Add(new Job(i, k, segments[k].Start, segments[k].Length));
        }
        // Longest first, so each batch pads to nearly its own length.
        var ordered = jobs.OrderByDescending(j => j.Length).ToList();
        for (int b = 0; b < ordered.Count; b += Options.BatchSize)
        {
            var batch = ordered.GetRange(b, Math.Min(Options.BatchSize, ordered.Count - b));
            var outputs = RunBatch(inputs, batch, modality, global, columns);
            for (int j = 0; j < batch.Count; j++) segmentOutputs[batch[j].Item][batch[j].SegmentIndex] = outputs[j];
        }
        return segmentOutputs;
    }

    /// <summary>One forward pass over a batch of segments; returns per segment the global vector or its real rows.</summary>
    private float[][] RunBatch(IReadOnlyList<PreparedInput> inputs, List<Job> batch, Modality modality, bool global, int columns)
    {
        int rows = batch.Count, width = batch.Max(j => j.Length);
        var mask = new float[rows * width];
        for (int r = 0; r < rows; r++) mask.AsSpan(r * width, batch[r].Length).Fill(1f);
        var encoderBatch = modality switch
        {
            Modality.Text => new EncoderBatch(modality, rows, width, TextIds(inputs, batch, width), null, mask),
            Modality.Symbolic => new EncoderBatch(modality, rows, width, PatchIds(inputs, batch, width), null, mask),
            _ => new EncoderBatch(modality, rows, width, null, AudioValues(inputs, batch, width), mask),
        };
        var flat = Engine.Run(encoderBatch, global);
        long expected = global ? (long)rows * columns : (long)rows * width * columns;
        if (flat.LongLength != expected)
            throw new InvalidOperationException($"The {Engine.Description} engine returned {flat.LongLength} values for a {modality} batch of {rows}×{width}, expected {expected}.");
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            int count = global ? columns : batch[r].Length * columns;
            int offset = global ? r * columns : r * width * columns;
            result[r] = flat.AsSpan(offset, count).ToArray();
        }
        return result;
    }

    private long[] TextIds(IReadOnlyList<PreparedInput> inputs, List<Job> batch, int width)
    {
        var ids = new long[batch.Count * width];
        Array.Fill(ids, (long)Config.Text.PadTokenId);
        for (int r = 0; r < batch.Count; r++)
        {
            var src = inputs[batch[r].Item].TokenIds!;
            for (int t = 0; t < batch[r].Length; t++) ids[r * width + t] = src[batch[r].Start + t];
        }
        return ids;
    }

    private long[] PatchIds(IReadOnlyList<PreparedInput> inputs, List<Job> batch, int width)
    {
        int p = Config.PatchSize;
        var ids = new long[(long)batch.Count * width * p]; // padding patches are all zeros, as officially
        for (int r = 0; r < batch.Count; r++)
        {
            var src = inputs[batch[r].Item].Patches!;
            for (int t = 0; t < batch[r].Length; t++)
            {
                var patch = src[batch[r].Start + t];
                long offset = ((long)r * width + t) * p;
                for (int c = 0; c < p; c++) ids[offset + c] = patch[c];
            }
        }
        return ids;
    }

    private float[] AudioValues(IReadOnlyList<PreparedInput> inputs, List<Job> batch, int width)
    {
        int h = Config.AudioFeatureDim;
        var values = new float[(long)batch.Count * width * h]; // padding rows are zeros, as officially
        for (int r = 0; r < batch.Count; r++)
        {
            var src = inputs[batch[r].Item].AudioRows!;
            Array.Copy(src, (long)batch[r].Start * h, values, (long)r * width * h, (long)batch[r].Length * h);
        }
        return values;
    }

    /// <summary>The official global reduction: <c>(G · w).sum(0) / w.sum()</c> in float32.</summary>
    private static FeatureMatrix WeightedMean(float[][] segments, int length, int maxLength, int columns)
    {
        var weights = Clamp3Inputs.SegmentWeights(length, maxLength);
        var sum = new float[columns];
        for (int k = 0; k < segments.Length; k++)
            for (int c = 0; c < columns; c++) sum[c] += segments[k][c] * weights[k];
        float total = weights.Sum();
        for (int c = 0; c < columns; c++) sum[c] /= total;
        return new FeatureMatrix(sum, 1, columns);
    }

    /// <summary>The official sequence re-assembly: every segment's rows, of the last only the last <c>N mod L</c> (all when 0).</summary>
    private static FeatureMatrix Concatenate(float[][] segments, int length, int maxLength, int columns)
    {
        var values = new float[(long)length * columns];
        int row = 0;
        for (int k = 0; k < segments.Length; k++)
        {
            int segmentRows = segments[k].Length / columns;
            int keep = k == segments.Length - 1 ? Clamp3Inputs.RowsKeptFromLastSegment(length, maxLength, segmentRows) : segmentRows;
            Array.Copy(segments[k], (long)(segmentRows - keep) * columns, values, (long)row * columns, (long)keep * columns);
            row += keep;
        }
        if (row != length) throw new InvalidOperationException($"Re-assembled {row} rows for an input of {length}.");
        return new FeatureMatrix(values, length, columns);
    }

    private int SegmentLength(Modality modality) => modality switch
    {
        Modality.Text => Config.MaxTextLength,
        Modality.Symbolic => Config.PatchLength,
        _ => Config.MaxAudioLength,
    };

    private BertConfig Encoder(Modality modality) => modality switch
    {
        Modality.Text => Config.Text,
        Modality.Symbolic => Config.Symbolic,
        _ => Config.Audio,
    };

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsEngine) Engine.Dispose();
        }
    }
}
