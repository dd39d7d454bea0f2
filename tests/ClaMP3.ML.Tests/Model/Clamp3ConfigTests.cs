using ClaMP3.ML.Modeling;

namespace ClaMP3.ML.Tests.Model;

[TestClass]
public class Clamp3ConfigTests
{
    private static Dictionary<string, long[]> ShapesOf(Clamp3Config config) =>
        config.ExpectedTensors().ToDictionary(t => t.Name, t => t.Shape);

    [TestMethod]
    public void FixtureConfigIsReadWithEveryField()
    {
        var c = Clamp3Config.Load(Clamp3Fixture.Config);
        Assert.AreEqual(24, c.Clamp3HiddenSize);
        Assert.AreEqual(32, c.MaxTextLength);
        Assert.AreEqual(32, c.PatchSize);
        Assert.AreEqual(32, c.PatchLength);
        Assert.AreEqual(16, c.MaxAudioLength);
        Assert.AreEqual(new BertConfig
        {
            HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, VocabSize = 1002,
            MaxPositionEmbeddings = 34, TypeVocabSize = 1, LayerNormEps = 1e-5, PadTokenId = 1,
        }, c.Text);
        Assert.AreEqual(1e-12, c.Symbolic.LayerNormEps);
        Assert.AreEqual(2, c.Audio.TypeVocabSize);
        Assert.AreEqual(Path.GetFullPath(Clamp3Fixture.Tokenizer), c.TokenizerModel);
        Assert.AreEqual("clamp3_tiny.pth", c.CheckpointFileName);
    }

    [TestMethod]
    public void JsonRoundTripKeepsTheConfig()
    {
        var c = Clamp3Config.Load(Clamp3Fixture.Config);
        var again = Clamp3Config.FromJson(c.ToJson(), source: c.Source);
        Assert.AreEqual(c, again);
    }

    [TestMethod]
    public void ModuleParametersAreExactlyTheExpectedTensorsInOfficialOrder()
    {
        var config = Clamp3Config.Load(Clamp3Fixture.Config) with { Text = Clamp3Config.Load(Clamp3Fixture.Config).Text with { NumHiddenLayers = 3 } };
        using var model = new Clamp3Model(config);
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
        var expected = config.ExpectedTensors();
        CollectionAssert.AreEqual(expected.Select(e => e.Name).ToList(), parameters.Select(p => p.name).ToList());
        for (int i = 0; i < expected.Count; i++)
            CollectionAssert.AreEqual(expected[i].Shape, parameters[i].shape, expected[i].Name);
        Assert.AreEqual(0, model.named_buffers().Count());
    }

    [TestMethod]
    public void OfficialSizesAreInferredFromShapesAndFileName()
    {
        var official = Clamp3Config.Official();
        var name = "weights_clamp3_saas_h_size_768_t_model_FacebookAI_xlm-roberta-base_t_length_128_a_size_768_a_layers_12_a_length_128_s_size_768_s_layers_12_p_size_64_p_length_512.pth";
        var inferred = Clamp3Config.Infer(ShapesOf(official), name);
        Assert.AreEqual(official with { Source = inferred.Source, CheckpointFileName = name }, inferred);
        // Without the file name, the official MAX_TEXT_LENGTH (128) is used although the table has 514 rows.
        Assert.AreEqual(128, Clamp3Config.Infer(ShapesOf(official)).MaxTextLength);
    }

    [TestMethod]
    public void OtherSizesAreInferredFromTheTensors()
    {
        var custom = Clamp3Config.Official() with
        {
            Clamp3HiddenSize = 40, MaxTextLength = 20,
            Text = Clamp3Config.Official().Text with { HiddenSize = 128, NumAttentionHeads = 2, IntermediateSize = 96, NumHiddenLayers = 3, VocabSize = 50, MaxPositionEmbeddings = 22 },
            Symbolic = Clamp3Config.Official().Symbolic with { HiddenSize = 64, NumAttentionHeads = 1, IntermediateSize = 256, NumHiddenLayers = 1, MaxPositionEmbeddings = 10 },
            PatchSize = 16, PatchLength = 10,
            Audio = Clamp3Config.Official().Audio with { HiddenSize = 192, NumAttentionHeads = 3, IntermediateSize = 768, NumHiddenLayers = 2, MaxPositionEmbeddings = 7 },
            MaxAudioLength = 7,
        };
        var inferred = Clamp3Config.Infer(ShapesOf(custom));
        Assert.AreEqual(custom with { Source = inferred.Source }, inferred);
    }

    [TestMethod]
    public void HeadsThatCannotBeInferredAskForAConfig()
    {
        var tiny = Clamp3Config.Load(Clamp3Fixture.Config);
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.Infer(ShapesOf(tiny), "clamp3_tiny.pth"));
        StringAssert.Contains(e.Message, "num_attention_heads");
        StringAssert.Contains(e.Message, "config");
    }

    [TestMethod]
    public void WrongConfigNamesTheTensorAndTheField()
    {
        var tiny = Clamp3Config.Load(Clamp3Fixture.Config);
        var shapes = ShapesOf(tiny);
        var wrongIntermediate = tiny with { Audio = tiny.Audio with { IntermediateSize = 128 } };
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => wrongIntermediate.CheckAgainst(shapes));
        StringAssert.Contains(e.Message, "audio_model.encoder.layer.0.intermediate.dense.weight");
        StringAssert.Contains(e.Message, "audio.intermediate_size");

        var wrongPatch = tiny with { PatchSize = 64 };
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => wrongPatch.CheckAgainst(shapes));
        StringAssert.Contains(e.Message, "symbolic_model.patch_embedding.weight");
        StringAssert.Contains(e.Message, "symbolic.patch_size");

        var fewerLayers = tiny with { Text = tiny.Text with { NumHiddenLayers = 1 } };
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => fewerLayers.CheckAgainst(shapes));
        StringAssert.Contains(e.Message, "text_model.encoder.layer.1.");
        StringAssert.Contains(e.Message, "text.num_hidden_layers");

        var moreLayers = tiny with { Symbolic = tiny.Symbolic with { NumHiddenLayers = 3 } };
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => moreLayers.CheckAgainst(shapes));
        StringAssert.Contains(e.Message, "symbolic_model.base.encoder.layer.2.");
    }

    [TestMethod]
    public void MertOrUnrelatedStateDictIsNotAClamp3Checkpoint()
    {
        var mert = new Dictionary<string, long[]>
        {
            ["feature_extractor.conv_layers.0.conv.weight"] = new long[] { 16, 1, 10 },
            ["encoder.pos_conv_embed.conv.bias"] = new long[] { 32 },
        };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Clamp3Config.Infer(mert, "mert.bin"));
        StringAssert.StartsWith(e.Message, "not a CLaMP 3 checkpoint");
        StringAssert.Contains(e.Message, "text_model.*");
        StringAssert.Contains(e.Message, "MERT");
        e = Assert.ThrowsExactly<InvalidDataException>(() => Clamp3Config.Load(Clamp3Fixture.Config).CheckAgainst(new Dictionary<string, long[]> { ["fc.weight"] = new long[] { 2, 2 } }));
        StringAssert.StartsWith(e.Message, "not a CLaMP 3 checkpoint");
    }

    [TestMethod]
    public void InvalidConfigFieldsAreNamed()
    {
        var json = File.ReadAllText(Clamp3Fixture.Config);
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson(json.Replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3")));
        StringAssert.Contains(e.Message, "num_attention_heads");
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson(json.Replace("\"max_text_length\": 32", "\"max_text_length\": 40")));
        StringAssert.Contains(e.Message, "max_position_embeddings");
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson(json.Replace("\"patch_size\": 32,", "")));
        StringAssert.Contains(e.Message, "symbolic.patch_size");
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson("{ not json"));
        StringAssert.Contains(e.Message, "JSON");
    }
}
