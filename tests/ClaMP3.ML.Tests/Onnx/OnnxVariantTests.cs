using System.Globalization;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Modeling.Mert;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary>Configurations the tiny fixtures do not cover (other sizes, head counts whose √head_dim is not a power of
/// two, another patch size, MERT with layer-norm convs, conv bias, odd/even positional kernels, stable layer norm):
/// the exported graphs against the TorchSharp modules with the same random weights.</summary>
[TestClass]
public sealed class OnnxVariantTests
{
    private static void Randomize(nn.Module module, int seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.Contains("LayerNorm") || name.Contains("layer_norm")) p.copy_(rand(p.shape, generator: generator).Times(0.8).Plus(0.6));
            else if (name.EndsWith("bias")) p.copy_(randn(p.shape, generator: generator).Times(0.2));
            else p.copy_(randn(p.shape, generator: generator).Times(0.3));
        }
    }

    private static BertConfig Bert(int hidden, int layers, int heads, int intermediate, int vocab, int positions, int types, double eps, int pad) => new()
    {
        HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads, IntermediateSize = intermediate, VocabSize = vocab,
        MaxPositionEmbeddings = positions, TypeVocabSize = types, LayerNormEps = eps, PadTokenId = pad,
    };

    [TestMethod]
    public void OtherSizesHeadsAndPatchSizeMatchTheTorchModel()
    {
        using var temp = TestPaths.NewTempDir();
        var config = new Clamp3Config
        {
            Clamp3HiddenSize = 20, MaxTextLength = 24,
            Text = Bert(36, 3, 3, 50, 1002, 30, 1, 1e-5, 1),      // head_dim 12: √12 is not a power of two
            Symbolic = Bert(40, 2, 5, 72, 1, 20, 2, 1e-12, 0),    // head_dim 8
            PatchSize = 16, PatchLength = 20,
            Audio = Bert(24, 1, 2, 40, 1, 12, 2, 1e-12, 0),
            MaxAudioLength = 12,
            TokenizerModel = Clamp3Fixture.Tokenizer,
        };
        var checkpoint = Path.Combine(temp.Path, "variant.safetensors");
        var configPath = Path.Combine(temp.Path, "variant.json");
        File.WriteAllText(configPath, config.ToJson());
        using (var model = new Clamp3Model(config))
        {
            Randomize(model, 21);
            Safetensors.Write(checkpoint, model.state_dict());
        }
        var onnx = Path.Combine(temp.Path, "onnx");
        Clamp3OnnxExporter.Export(checkpoint, onnx, configPath);

        using var torchEmbedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(checkpoint) { ConfigPath = configPath, BatchSize = 3 });
        using var onnxEmbedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(checkpoint) { OnnxDirectory = onnx, BatchSize = 3, Threads = 1 });
        var inputs = new List<Func<Clamp3Embedder, PreparedInput>>();
        foreach (var c in Clamp3Fixture.Cases.Where(c => c.Modality != "audio"))
            inputs.Add(e => c.Modality == "text" ? e.PrepareText(SourceText.ReadFile(Clamp3Fixture.PathOf(c.Input))) : e.PrepareScore(SourceText.ReadFile(Clamp3Fixture.PathOf(c.Input))));
        var random = new Random(5);
        foreach (int rows in new[] { 1, 7, 12, 30 })
        {
            var values = Enumerable.Range(0, rows * 24).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            inputs.Add(e => e.PrepareAudioFeatures(new FeatureMatrix(values, rows, 24)));
        }
        var cmp = new Clamp3Fixture.Comparison();
        foreach (var kind in new[] { FeatureKind.Global, FeatureKind.Sequence })
        {
            var expected = torchEmbedder.Embed(inputs.Select(f => f(torchEmbedder)).ToList(), kind);
            var actual = onnxEmbedder.Embed(inputs.Select(f => f(onnxEmbedder)).ToList(), kind);
            for (int i = 0; i < expected.Count; i++) cmp.Add($"input {i} {kind}", expected[i].Values, actual[i].Values);
        }
        cmp.AssertAll($"ONNX vs TorchSharp, other sizes ({inputs.Count} inputs)");
    }

    private static string MertConfigJson(MertConfig c) => string.Create(CultureInfo.InvariantCulture, $$"""
        {"hidden_size": {{c.HiddenSize}}, "num_hidden_layers": {{c.NumHiddenLayers}}, "num_attention_heads": {{c.NumAttentionHeads}},
         "intermediate_size": {{c.IntermediateSize}}, "conv_dim": [{{string.Join(",", c.ConvDim)}}], "conv_kernel": [{{string.Join(",", c.ConvKernel)}}],
         "conv_stride": [{{string.Join(",", c.ConvStride)}}], "conv_bias": {{(c.ConvBias ? "true" : "false")}}, "feat_extract_norm": "{{c.FeatExtractNorm}}",
         "feat_proj_layer_norm": {{(c.FeatProjLayerNorm ? "true" : "false")}}, "num_conv_pos_embeddings": {{c.NumConvPosEmbeddings}},
         "num_conv_pos_embedding_groups": {{c.NumConvPosEmbeddingGroups}}, "layer_norm_eps": {{c.LayerNormEps}},
         "do_stable_layer_norm": {{(c.DoStableLayerNorm ? "true" : "false")}}, "mask_time_prob": 0.05}
        """);

    [TestMethod]
    [DataRow("group", false, 5, false, true)]
    [DataRow("layer", true, 4, false, true)]
    [DataRow("layer", false, 6, true, false)]
    [DataRow("group", true, 3, true, true)]
    public void MertVariantsMatchTheTorchModel(string norm, bool convBias, int posKernel, bool stable, bool projNorm)
    {
        using var temp = TestPaths.NewTempDir();
        var config = new MertConfig
        {
            HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 40,
            ConvDim = new[] { 12, 10, 10 }, ConvKernel = new[] { 7, 3, 2 }, ConvStride = new[] { 3, 2, 2 },
            ConvBias = convBias, FeatExtractNorm = norm, NumConvPosEmbeddings = posKernel, NumConvPosEmbeddingGroups = 3,
            DoStableLayerNorm = stable, FeatProjLayerNorm = projNorm, LayerNormEps = 1e-5,
        };
        var folder = Path.Combine(temp.Path, "mert");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), MertConfigJson(config));
        using var model = new MusicHubertModel(config);
        Randomize(model, 31);
        Safetensors.Write(Path.Combine(folder, "model.safetensors"), model.state_dict());
        var onnx = Path.Combine(temp.Path, "onnx");
        MertOnnxExporter.Export(folder, onnx);

        var random = new Random(9);
        var windows = Enumerable.Range(0, 3).Select(_ => new ArraySegment<float>(Enumerable.Range(0, 900).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())).ToList();
        using var torchExtractor = MertExtractor.Load(folder);
        using var onnxExtractor = new MertExtractor(new OnnxMertEngine(onnx, threads: 1));
        var expected = torchExtractor.ExtractLayersFromWindows(windows);
        var actual = onnxExtractor.ExtractLayersFromWindows(windows);
        var cmp = new Clamp3Fixture.Comparison();
        cmp.Add("layers", expected.Values, actual.Values, 2e-5, 0);
        cmp.AssertAll($"MERT {norm} norm, conv bias {convBias}, pos kernel {posKernel}, stable {stable}, projection norm {projNorm}");
    }
}
