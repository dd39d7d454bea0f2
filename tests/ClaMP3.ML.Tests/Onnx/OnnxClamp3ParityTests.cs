using ClaMP3.ML.Inference;
using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.IO;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary>ONNX models exported from clamp3-tiny, run by ONNX Runtime, against every manifest case (per-chunk, global
/// and sequence features) and the batch files, at the fixtures' tolerance (1e-4 + 1e-4·|expected|).</summary>
[TestClass]
public sealed class OnnxClamp3ParityTests
{
    private static TestPaths.TempDir? _temp;
    private static OnnxClamp3Engine? _engine;

    [ClassInitialize]
    public static void Export(TestContext _)
    {
        _temp = TestPaths.NewTempDir();
        Clamp3OnnxExporter.Export(Clamp3Fixture.Checkpoint, _temp.Path, Clamp3Fixture.Config);
        _engine = new OnnxClamp3Engine(_temp.Path, threads: 1, checkpointPath: Clamp3Fixture.Checkpoint);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _engine?.Dispose();
        _temp?.Dispose();
    }

    /// <summary>The model items of a case (token ids, patches or framed feature rows), from the fixture files.</summary>
    internal static (long[]? Ids, float[]? Rows, int Length) Items(Clamp3Fixture.Case c, Clamp3Config config)
    {
        if (c.Modality == "audio")
        {
            var npy = NpyFile.Read(Clamp3Fixture.PathOf(c.Input));
            var framed = Clamp3Inputs.FrameAudioRows(npy.ToFloat32(), (int)(npy.Length / config.AudioFeatureDim), config.AudioFeatureDim);
            return (null, framed, framed.Length / config.AudioFeatureDim);
        }
        var ids = NpyFile.Read(Clamp3Fixture.PathOf(c.Files["ids"])).ToInt64();
        return (ids, null, c.Modality == "text" ? ids.Length : ids.Length / config.PatchSize);
    }

    internal static Modality ModalityOf(Clamp3Fixture.Case c) => c.Modality switch
    {
        "text" => Modality.Text,
        "audio" => Modality.Audio,
        _ => Modality.Symbolic,
    };

    /// <summary>One padded batch of the given chunks of a case (padded to <paramref name="width"/>).</summary>
    internal static EncoderBatch Batch(Clamp3Fixture.Case c, Clamp3Config config, IReadOnlyList<int[]> ranges, int width)
    {
        var (ids, rows, _) = Items(c, config);
        var modality = ModalityOf(c);
        int per = modality switch { Modality.Text => 1, Modality.Symbolic => config.PatchSize, _ => config.AudioFeatureDim };
        var mask = new float[ranges.Count * width];
        long[]? batchIds = ids is null ? null : new long[(long)ranges.Count * width * per];
        float[]? features = rows is null ? null : new float[(long)ranges.Count * width * per];
        if (modality == Modality.Text) Array.Fill(batchIds!, config.Text.PadTokenId);
        for (int r = 0; r < ranges.Count; r++)
        {
            int start = ranges[r][0], length = ranges[r][1] - ranges[r][0];
            mask.AsSpan(r * width, length).Fill(1f);
            if (batchIds is not null) Array.Copy(ids!, (long)start * per, batchIds, (long)r * width * per, (long)length * per);
            else Array.Copy(rows!, (long)start * per, features!, (long)r * width * per, (long)length * per);
        }
        return new EncoderBatch(modality, ranges.Count, width, batchIds, features, mask);
    }

    [TestMethod]
    public void EveryManifestCaseMatchesThroughOnnxRuntime()
    {
        var config = _engine!.Config;
        var cmp = new Clamp3Fixture.Comparison();
        foreach (var c in Clamp3Fixture.Cases)
        {
            int dim = config.Clamp3HiddenSize;
            // All chunks of the case in one padded batch (masking exercised when the last chunk is shorter).
            var batch = Batch(c, config, c.ChunkRanges, c.MaxLength);
            var chunks = _engine.Run(batch, global: true);
            cmp.Add($"{c}.chunks", Clamp3Fixture.Expected(c, "chunks").ToFloat32(), chunks);
            var global = new float[dim];
            for (int k = 0; k < c.ChunkWeights.Length; k++)
                for (int j = 0; j < dim; j++) global[j] += chunks[k * dim + j] * c.ChunkWeights[k];
            float total = c.ChunkWeights.Sum();
            for (int j = 0; j < dim; j++) global[j] /= total;
            cmp.Add($"{c}.global", Clamp3Fixture.Expected(c, "global").ToFloat32(), global);

            // Sequence: each chunk run alone at its own length, re-assembled as the official code does.
            int hidden = batch.Modality switch { Modality.Text => config.Text.HiddenSize, Modality.Symbolic => config.Symbolic.HiddenSize, _ => config.Audio.HiddenSize };
            var seq = new List<float>();
            for (int k = 0; k < c.ChunkRanges.Length; k++)
            {
                int length = c.ChunkRanges[k][1] - c.ChunkRanges[k][0];
                var rows = _engine.Run(Batch(c, config, new[] { c.ChunkRanges[k] }, length), global: false);
                int keep = k == c.ChunkRanges.Length - 1 ? Clamp3Inputs.RowsKeptFromLastSegment(c.Length, c.MaxLength, length) : length;
                seq.AddRange(rows.AsSpan((length - keep) * hidden, keep * hidden).ToArray());
            }
            cmp.Add($"{c}.seq", Clamp3Fixture.Expected(c, "seq").ToFloat32(), seq.ToArray());
        }
        cmp.AssertAll($"ONNX Runtime vs clamp3-tiny, {Clamp3Fixture.Cases.Count} cases");
    }

    [TestMethod]
    public void BatchFilesMatchIncludingPaddedRows()
    {
        var cmp = new Clamp3Fixture.Comparison();
        foreach (var (name, modality) in new[] { ("text", Modality.Text), ("symbolic", Modality.Symbolic), ("audio", Modality.Audio) })
        {
            string F(string suffix) => Clamp3Fixture.PathOf($"expected/batch/{name}.{suffix}.npy");
            var inputs = NpyFile.Read(F("inputs"));
            var mask = NpyFile.Read(F("masks")).ToFloat32();
            int rows = (int)inputs.Shape[0], width = (int)inputs.Shape[1];
            var batch = modality == Modality.Audio
                ? new EncoderBatch(modality, rows, width, null, inputs.ToFloat32(), mask)
                : new EncoderBatch(modality, rows, width, inputs.ToInt64(), null, mask);
            cmp.Add($"batch/{name}.seq", NpyFile.Read(F("seq")).ToFloat32(), _engine!.Run(batch, global: false));
            cmp.Add($"batch/{name}.global", NpyFile.Read(F("global")).ToFloat32(), _engine.Run(batch, global: true));
        }
        cmp.AssertAll("ONNX Runtime vs clamp3-tiny batch files");
    }
}
