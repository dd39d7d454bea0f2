using ClaMP3.ML.IO;
namespace ClaMP3.ML.Onnx;

/// <summary>A one-node ONNX model for benchmarks: an [n, n] input times an [n, n] weight, as float32 MatMul or as the
/// int8 form the exporter writes (DynamicQuantizeLinear → MatMulInteger → scale). Timing it in the same ORT session
/// options gives the "matmul now" rate the encoders are compared with.</summary>
public static class OnnxMatmulReference
{
    public static void Write(string path, int n, OnnxPrecision precision)
    {
        var random = new Random(3);
        var weight = new float[(long)n * n];
        for (long i = 0; i < weight.LongLength; i++) weight[i] = (float)(random.NextDouble() - 0.5);
        var bias = new float[n];
        var weights = new Dictionary<string, Checkpoints.CheckpointTensor>
        {
            ["ref.weight"] = Checkpoints.CheckpointTensor.FromFloat32(weight, n, n),
            ["ref.bias"] = Checkpoints.CheckpointTensor.FromFloat32(bias, n),
        };
        var builder = new OnnxNetworkBuilder(new OnnxGraph("matmul_reference"), weights, "reference", precision == OnnxPrecision.Int8);
        var g = builder.Graph;
        var x = g.Input("x", OnnxType.Float, (long)n, (long)n);
        g.Node("Identity", new[] { builder.Linear(x, "ref", n, n, true) }, output: "y");
        g.Output("y", OnnxType.Float, (long)n, (long)n);
        AtomicFile.Write(path, g.ToModel(OnnxExportManifest.ExporterVersion, Clamp3OnnxExporter.Metadata(precision)).WriteTo);
    }
}
