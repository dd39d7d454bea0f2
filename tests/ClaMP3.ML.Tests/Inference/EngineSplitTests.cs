using ClaMP3.ML.Inference;
using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Loading;
using ClaMP3.ML.Modeling;
using ClaMP3.ML.Tests.Model;
using ClaMP3.ML.Training;

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
    }
}
