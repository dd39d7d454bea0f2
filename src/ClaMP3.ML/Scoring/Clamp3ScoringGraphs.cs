using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Onnx;

namespace ClaMP3.ML.Scoring;

/// <summary>
/// The ONNX graphs of the standard-model featurizers. ML.NET's <c>OnnxTransformer</c> scores one row per call and fixes an
/// unknown first dimension to 1, inferring at most one other unknown dimension from the vector's length
/// (<c>OnnxTransform.cs</c>, <c>AdjustDimensions</c>). So each graph takes one whole item as a [1, n] input and does the
/// official segmenting and weighting itself; its output <c>Features</c> is [1, D], a known-size vector column.
/// </summary>
/// <remarks>
/// In-graph segmenting is <see cref="Inference.Clamp3Inputs"/>'s: segments of L items at 0, L, 2L, …, the last one the last
/// min(N, L) items; weights min(L, N − kL); global = Σ w·g / Σ w. All segments have the same length min(N, L), so no
/// padding is needed and the mask is all ones.
/// </remarks>
internal static class Clamp3ScoringGraphs
{
    public const string FeaturesColumn = "Features";
    public const string StateColumn = "Clamp3State";
    public const string TextIdsColumn = "Clamp3Ids";
    public const string PatchesColumn = "Clamp3Patches";
    public const string SamplesColumn = "Clamp3Samples";

    /// <summary>A graph whose only output is the constant <paramref name="state"/> ([n] uint8); the input column is
    /// declared so that ML.NET has a column to drive it, and not read.</summary>
    public static OnnxGraph StateCarrier(string inputColumn, byte[] state)
    {
        var g = new OnnxGraph("clamp3_state");
        g.Input(inputColumn, OnnxType.String, 1L, 1L); // ML.NET feeds a scalar column as [1, 1]
        var constant = g.Bytes("clamp3_state_bytes", state, state.LongLength);
        g.Node("Identity", new[] { constant }, output: StateColumn);
        g.Output(StateColumn, OnnxType.UInt8, state.LongLength);
        return g;
    }

    public static OnnxGraph Text(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8)
    {
        var b = new OnnxNetworkBuilder(new OnnxGraph("clamp3_text_features"), weights, source, int8);
        var g = b.Graph;
        var ids = g.Node("Reshape", new[] { g.Input(TextIdsColumn, OnnxType.Int64, 1L, "tokens"), g.Vector(-1) }); // [N]
        return Features(b, config, ids, config.MaxTextLength, Clamp3OnnxGraphs.EncodeText);
    }

    public static OnnxGraph Symbolic(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8)
    {
        var b = new OnnxNetworkBuilder(new OnnxGraph("clamp3_score_features"), weights, source, int8);
        var g = b.Graph;
        var flat = g.Input(PatchesColumn, OnnxType.Int64, 1L, "patch_ids");
        var patches = g.Node("Reshape", new[] { flat, g.Vector(-1, config.PatchSize) }); // [N, P]
        return Features(b, config, patches, config.PatchLength, Clamp3OnnxGraphs.EncodeSymbolic);
    }

    /// <summary>Samples → MERT per 5 s window (a Loop, so that the shorter last window runs at its own length, as the
    /// official script does) → mean over hidden states → one zero row each side → the audio encoder → Features.</summary>
    public static OnnxGraph Audio(Clamp3Config config, IReadOnlyDictionary<string, CheckpointTensor> clamp3Weights, string clamp3Source,
        MertConfig mert, IReadOnlyDictionary<string, CheckpointTensor> mertWeights, string mertSource, bool int8)
    {
        if (mert.HiddenSize != config.AudioFeatureDim)
            throw new OnnxExportException($"{mertSource}: MERT's hidden size {mert.HiddenSize} is not the CLaMP 3 audio feature width {config.AudioFeatureDim} of {clamp3Source}.");
        var b = new OnnxNetworkBuilder(new OnnxGraph("clamp3_audio_features"), clamp3Weights, clamp3Source, int8);
        var g = b.Graph;
        var samples = g.Node("Reshape", new[] { g.Input(SamplesColumn, OnnxType.Float, 1L, "samples"), g.Vector(-1) }); // [M]
        var perWindow = MertPerWindow(g, samples, mert, mertWeights, mertSource, int8); // [W, L, H]
        var features = g.Node("ReduceMean", new[] { perWindow }, new[] { new OnnxAttr("axes", new long[] { 1 }), new OnnxAttr("keepdims", 0L) }); // [W, H]; opset 17: axes is an attribute
        var zeroRow = g.Floats("audio_frame_row", new float[config.AudioFeatureDim], 1, config.AudioFeatureDim);
        var framed = g.Node("Concat", new[] { zeroRow, features, zeroRow }, new[] { new OnnxAttr("axis", 0L) }); // [W + 2, H]
        return Features(b, config, framed, config.MaxAudioLength, Clamp3OnnxGraphs.EncodeAudio);
    }

    private static string MertPerWindow(OnnxGraph g, string samples, MertConfig mert, IReadOnlyDictionary<string, CheckpointTensor> weights, string source, bool int8)
    {
        const long window = Preprocessing.Audio.MertAudioPreprocessor.WindowSamples;
        var total = g.Node("Shape", new[] { samples }); // [1]
        var windows = g.Node("Squeeze", new[] { g.Node("Div", new[] { g.Node("Add", new[] { total, g.Vector(window - 1) }), g.Vector(window) }), g.Vector(0) });

        var body = new OnnxGraph("mert_window", namePrefix: "w_");
        var iteration = body.Input("w_iteration", OnnxType.Int64);
        var condition = body.Input("w_condition_in", OnnxType.Bool);
        var start = body.Node("Mul", new[] { body.Node("Unsqueeze", new[] { iteration, body.Vector(0) }), body.Vector(window) });
        var end = body.Node("Min", new[] { body.Node("Add", new[] { start, body.Vector(window) }), total });
        var wave = body.Node("Unsqueeze", new[] { body.Node("Slice", new[] { samples, start, end, body.Vector(0) }), body.Vector(0) }); // [1, n]
        var mb = new OnnxNetworkBuilder(body, weights, source, int8);
        var means = MertOnnxGraph.HiddenStateMeans(mb, mert, wave); // [L, 1, H]
        body.Node("Identity", new[] { condition }, output: "w_condition_out");
        body.Node("Squeeze", new[] { means, body.Vector(1) }, output: "w_means"); // [L, H]
        body.Output("w_condition_out", OnnxType.Bool);
        body.Output("w_means", OnnxType.Float, (long)mert.NumHiddenStates, (long)mert.HiddenSize);

        return g.Node("Loop", new[] { windows, "" }, new[] { new OnnxAttr("body", body) }); // [W, L, H]
    }

    /// <summary>Items [N, …] → segments → the encoder's projected mean per segment → <c>Features</c> [1, D], their
    /// weighted mean.</summary>
    private static OnnxGraph Features(OnnxNetworkBuilder b, Clamp3Config config, string items, long maxLength,
        Func<OnnxNetworkBuilder, Clamp3Config, string, string, string> encode)
    {
        var (segments, mask, segmentWeights) = Segment(b.Graph, items, maxLength);
        Finish(b.Graph, encode(b, config, segments, mask), segmentWeights, config.Clamp3HiddenSize);
        return b.Graph;
    }

    /// <summary>x [N, …] → segments [S, Lw, …], mask [S, Lw] (ones), weights [S] (float).</summary>
    private static (string Segments, string Mask, string Weights) Segment(OnnxGraph g, string x, long maxLength)
    {
        var n = g.Node("Shape", new[] { x }, new[] { new OnnxAttr("start", 0L), new OnnxAttr("end", 1L) }); // [1]
        var max = g.Vector(maxLength);
        var length = g.Node("Min", new[] { n, max });
        var count = g.Node("Div", new[] { g.Node("Add", new[] { n, g.Vector(maxLength - 1) }), max });
        var zero = g.Scalar(0L);
        var one = g.Scalar(1L);
        var k = g.Node("Range", new[] { zero, g.Node("Squeeze", new[] { count, g.Vector(0) }), one }); // [S]
        var kL = g.Node("Mul", new[] { k, max });
        var starts = g.Node("Min", new[] { kL, g.Node("Sub", new[] { n, length }) });
        var offsets = g.Node("Range", new[] { zero, g.Node("Squeeze", new[] { length, g.Vector(0) }), one }); // [Lw]
        var index = g.Node("Add", new[] { g.Node("Unsqueeze", new[] { starts, g.Vector(1) }), g.Node("Unsqueeze", new[] { offsets, g.Vector(0) }) });
        var segments = g.Node("Gather", new[] { x, index }, new[] { new OnnxAttr("axis", 0L) });
        var mask = g.Node("Cast", new[] { g.Node("GreaterOrEqual", new[] { index, zero }) }, new[] { new OnnxAttr("to", (long)OnnxType.Float) });
        var weights = g.Node("Cast", new[] { g.Node("Min", new[] { max, g.Node("Sub", new[] { n, kL }) }) }, new[] { new OnnxAttr("to", (long)OnnxType.Float) });
        return (segments, mask, weights);
    }

    /// <summary>Features [1, D] = Σ_k w_k·g_k / Σ_k w_k.</summary>
    private static void Finish(OnnxGraph g, string perSegmentGlobal, string weights, int dimension)
    {
        var keep = new[] { new OnnxAttr("keepdims", 1L) };
        var weighted = g.Node("Mul", new[] { perSegmentGlobal, g.Node("Unsqueeze", new[] { weights, g.Vector(1) }) });
        var sum = g.Node("ReduceSum", new[] { weighted, g.Vector(0) }, keep); // [1, D]
        var total = g.Node("ReduceSum", new[] { weights, g.Vector(0) }, keep); // [1]
        g.Node("Div", new[] { sum, total }, output: FeaturesColumn);
        g.Output(FeaturesColumn, OnnxType.Float, 1L, (long)dimension);
    }
}
