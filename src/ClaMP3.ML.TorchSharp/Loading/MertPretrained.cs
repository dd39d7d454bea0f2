using ClaMP3.ML.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Modeling.Mert;

/// <summary>Loads an HF-style MERT folder: <c>config.json</c> plus <c>model.safetensors</c> or <c>pytorch_model.bin</c>
/// (torch.save zip; OrderedDict-with-metadata or plain-dict pickle, as the checkpoint reader accepts both).</summary>
public static class MertPretrained
{
    public const string ConfigFile = "config.json";
    public static readonly string[] WeightFiles = { "model.safetensors", "pytorch_model.bin" };

    private const string PosConv = "encoder.pos_conv_embed.conv.";

    /// <summary>From a model folder (or a weights file inside one). Weights holding NaN or ±Inf are refused, naming the
    /// tensor, unless <paramref name="allowNonFiniteWeights"/> is set.</summary>
    public static MusicHubertModel Load(string modelDir, string device = "cpu", bool allowNonFiniteWeights = false)
    {
        var (_, config, weights) = ClaMP3.ML.Onnx.MertOnnxExporter.ResolveFolder(modelDir);
        return Load(config, weights, device, allowNonFiniteWeights);
    }

    /// <summary>From an explicit config and weights file.</summary>
    public static MusicHubertModel Load(string configPath, string weightsPath, string device, bool allowNonFiniteWeights = false)
        => Load(MertConfig.Load(configPath), weightsPath, device, allowNonFiniteWeights);

    private static MusicHubertModel Load(MertConfig config, string weightsPath, string device, bool allowNonFiniteWeights)
    {
        var stateDict = Normalize(CheckpointReader.Read(weightsPath, allowNonFiniteWeights), weightsPath);
        var model = new MusicHubertModel(config);
        try
        {
            // masked_spec_embed is unused in eval; tolerate checkpoints whose config and tensors disagree about it.
            StateDictLoader.Load(model, stateDict,
                ignoreMissing: name => name == "masked_spec_embed",
                ignoreUnexpected: name => name == "masked_spec_embed");
            var d = ClaMP3.ML.Inference.TorchDevice.Parse(device);
            if (d.type != DeviceType.CPU) model.to(d);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The shared name mapping (<see cref="ClaMP3.ML.Onnx.MertOnnxExporter"/>), then a pos-conv weight saved
    /// with weight_norm removed is split back into weight_g / weight_v for the weight-normed module.</summary>
    internal static StateDict Normalize(StateDict stateDict, string path)
    {
        stateDict = ClaMP3.ML.Onnx.MertOnnxExporter.Normalize(stateDict, path);
        var renamed = new List<KeyValuePair<string, CheckpointTensor>>();
        foreach (var (key, tensor) in stateDict)
        {
            if (key == PosConv + "weight" && !stateDict.ContainsKey(PosConv + "weight_v"))
            {
                // weight_norm removed before saving: v = w and g = ‖w‖ per kernel tap reproduce w.
                using var scope = NewDisposeScope();
                var w = tensor.ToTensor().to_type(ScalarType.Float32);
                var g = w.square().sum(new long[] { 0, 1 }, keepdim: true).sqrt();
                renamed.Add(new(PosConv + "weight_g", CheckpointTensor.FromTensor(g)));
                renamed.Add(new(PosConv + "weight_v", CheckpointTensor.FromTensor(w)));
                continue;
            }
            renamed.Add(new(key, tensor));
        }
        return new StateDict(renamed, stateDict.SourcePath, stateDict.Metadata);
    }
}
