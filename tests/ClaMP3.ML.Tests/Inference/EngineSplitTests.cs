using System.Text.Json.Nodes;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Training;
using ClaMP3.ML.Transforms;

namespace ClaMP3.ML.Tests.Inference;

/// <summary>The package split: the core runs over the engine contract and references no TorchSharp; the TorchSharp
/// engine is found by name; every caller resolves a checkpoint's config the same way.</summary>
[TestClass]
public class EngineSplitTests
{
    [TestMethod]
    public void CoreAssemblyReferencesNoTorchSharp()
    {
        var references = typeof(Clamp3Embedder).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        CollectionAssert.DoesNotContain(references, "TorchSharp", string.Join(", ", references));
        CollectionAssert.Contains(typeof(TorchClamp3Engine).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList(), "TorchSharp");
    }

    [TestMethod]
    public void TheTorchEngineIsFoundByName()
    {
        Assert.IsInstanceOfType<TorchEngineFactory>(Clamp3Engines.Torch);
        using var embedder = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint));
        Assert.IsInstanceOfType<TorchClamp3Engine>(embedder.Engine);
        StringAssert.StartsWith(embedder.Engine.Description, "torch cpu float32");
    }

    [TestMethod]
    public void AnEmbedderOverAnExplicitEngineComputesWhatLoadComputes()
    {
        const string score = "X:1\nL:1/8\nM:4/4\nK:C\n|: CDEF GABc | cBAG FEDC :|\n";
        using var loaded = Clamp3Embedder.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { BatchSize = 3 });
        using var engine = TorchClamp3Engine.Load(new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint));
        float[] viaCreate;
        using (var created = Clamp3Embedder.Create(engine, batchSize: 3))
            viaCreate = created.EmbedScore(score).Values;
        CollectionAssert.AreEqual(loaded.EmbedScore(score).Values, viaCreate);
        // Create leaves the engine to its owner: it still runs after the embedder is disposed.
        using var again = Clamp3Embedder.Create(engine);
        CollectionAssert.AreEqual(viaCreate, again.EmbedScore(score).Values);
    }

    [TestMethod]
    public void LoaderTrainerAndResolverPickTheSameConfig()
    {
        using var tmp = TestPaths.NewTempDir();
        var bare = Path.Combine(tmp.Path, "clamp3_tiny.pth"); // no config.json beside it
        File.Copy(Clamp3Fixture.Checkpoint, bare);
        foreach (var (checkpoint, config) in new[] { (Clamp3Fixture.Checkpoint, (string?)null), (bare, Clamp3Fixture.Config) })
        {
            var resolved = Clamp3ConfigResolver.ResolveConfig(checkpoint, config);
            using var loaded = Clamp3ModelLoader.Load(checkpoint, config).Model;
            var trainer = Clamp3ContrastiveTrainer.ResolveConfig(new Clamp3TrainerOptions { CheckpointPath = checkpoint, ConfigPath = config });
            Assert.AreEqual(resolved, loaded.Config, $"{checkpoint} + {config}");
            Assert.AreEqual(resolved, trainer, $"{checkpoint} + {config}");
        }
        // Without a config the tiny checkpoint cannot be inferred (hidden 32 is not 64 × heads): all three say so alike
        // (the CLI used to fall back to an audio width of 768 here).
        var messages = new[]
        {
            Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3ConfigResolver.ResolveConfig(bare)).Message,
            Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3ModelLoader.Load(bare)).Message,
            Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3ContrastiveTrainer.ResolveConfig(new Clamp3TrainerOptions { CheckpointPath = bare })).Message,
        };
        Assert.AreEqual(1, messages.Distinct().Count(), string.Join(" | ", messages));
        StringAssert.Contains(messages[0], "Pass a config.json");
        Assert.AreEqual(Clamp3Config.Load(Clamp3Fixture.Config), Clamp3ConfigResolver.ResolveConfig(Clamp3Fixture.Checkpoint));
    }

    [TestMethod]
    public void TheAttributeMappedConfigNamesFieldsOfTheWrongTypeAndRoundTrips()
    {
        var json = File.ReadAllText(Clamp3Fixture.Config);
        var config = Clamp3Config.FromJson(json);
        Assert.AreEqual(config, Clamp3Config.FromJson(config.ToJson()) with { Source = config.Source });
        var e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson(json.Replace("\"num_attention_heads\": 2", "\"num_attention_heads\": \"2\"")));
        StringAssert.Contains(e.Message, ".num_attention_heads");
        e = Assert.ThrowsExactly<Clamp3ConfigException>(() => Clamp3Config.FromJson("[1, 2]"));
        StringAssert.Contains(e.Message, "JSON object");

        // MERT's HF config.json: mapped by attribute, defaults for absent or null fields, wrong types named.
        static JsonObject Mert(string extra) => (JsonObject)JsonNode.Parse("{\"conv_dim\": [4, 4], \"conv_kernel\": [3, 2], \"conv_stride\": [2, 2], \"num_conv_pos_embeddings\": 8, \"hidden_size\": 16, \"num_attention_heads\": 2" + extra + "}")!;
        var mert = Modeling.Mert.MertConfig.FromJson(Mert(", \"conv_bias\": null"));
        Assert.AreEqual(16, mert.HiddenSize);
        Assert.AreEqual(3072, mert.IntermediateSize);
        Assert.IsFalse(mert.ConvBias);
        var m = Assert.ThrowsExactly<InvalidDataException>(() => Modeling.Mert.MertConfig.FromJson(Mert(", \"num_hidden_layers\": \"two\""), "mert/config.json"));
        StringAssert.Contains(m.Message, "num_hidden_layers");
        StringAssert.Contains(m.Message, "mert/config.json");
    }
}

/// <summary>One vocabulary: the model source record is the cache key, batch size and precision included.</summary>
[TestClass]
public class ModelSourceTests
{
    [TestMethod]
    public void TheModelCacheKeysOnTheWholeSourceAndTheBatchSize()
    {
        var options = new Clamp3EmbedderOptions(Clamp3Fixture.Checkpoint) { ConfigPath = Clamp3Fixture.Config, BatchSize = 5 };
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Clamp3Fixture.Checkpoint);
        var a = Clamp3ModelCache.GetEmbedder(options);
        Assert.AreSame(a, Clamp3ModelCache.GetEmbedder(options with { CheckpointPath = relative, Device = " CPU" }));
        Assert.AreNotSame(a, Clamp3ModelCache.GetEmbedder(options with { BatchSize = 6 }));
        Assert.AreNotSame(a, Clamp3ModelCache.GetEmbedder(options with { Precision = Clamp3Precision.BFloat16 }));
        Assert.AreEqual(Clamp3Precision.BFloat16, Clamp3ModelCache.GetEmbedder(options with { Precision = Clamp3Precision.BFloat16 }).Precision);
    }

    [TestMethod]
    public void FeaturizerAndTrainerOptionsNameTheSameSource()
    {
        var featurizer = new Clamp3FeaturizerOptions { CheckpointPath = "a.pth", ConfigPath = "c.json", TokenizerPath = "t.model", Device = "cpu" };
        var trainer = new Clamp3TrainerOptions { CheckpointPath = "a.pth", ConfigPath = "c.json", TokenizerPath = "t.model" };
        Assert.AreEqual(featurizer.ModelSource, trainer.ModelSource);
        Assert.AreEqual(new Clamp3ModelSource("a.pth") { ConfigPath = "c.json", TokenizerPath = "t.model" }, trainer.ModelSource);
        trainer.ResumeFrom = "b.pth"; // resuming reads the model from the resume checkpoint
        Assert.AreEqual(new Clamp3ModelSource("b.pth") { ConfigPath = "c.json", TokenizerPath = "t.model" }, trainer.ModelSource);
    }
}
