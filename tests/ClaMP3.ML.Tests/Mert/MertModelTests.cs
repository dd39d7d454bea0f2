using ClaMP3.ML.Modeling;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Modeling.Mert;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Mert;

/// <summary>The network alone against mert-tiny's model-only intermediates (README "Model-only tests").</summary>
[TestClass]
public class MertModelTests
{
    private static MusicHubertModel _model = null!;

    [ClassInitialize]
    public static void LoadModel(TestContext _) =>
        _model = MertPretrained.Load(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(MertFixture.Dir, "pytorch_model.bin"), "cpu");

    [ClassCleanup]
    public static void Cleanup() => _model?.Dispose();

    private static Tensor Input(string window)
    {
        var (values, shape) = MertFixture.Npy($"{window}.input.npy");
        return tensor(values, shape);
    }

    private static (float[] Values, long[] Shape) Squeeze0(Tensor t) =>
        (t.contiguous().data<float>().ToArray(), t.shape.Skip(1).ToArray());

    [TestMethod]
    [DataRow("window")]
    [DataRow("window_short")]
    public void FeatureEncoderProjectionAndPositionalConvMatch(string window)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double atol = MertFixture.Tolerance("window_intermediates");
        var convs = new List<Tensor>();
        var features = _model.feature_extractor.call(Input(window), (i, y) => convs.Add(y.transpose(1, 2).contiguous().MoveToOuterDisposeScope()));
        Assert.AreEqual(_model.Config.NumFeatExtractLayers, convs.Count);
        for (int i = 0; i < convs.Count; i++)
        {
            string file = $"{window}.conv{i}.npy";
            if (!File.Exists(MertFixture.Expected(file))) continue; // only window_short pins every CNN layer
            var (e, es) = MertFixture.Npy(file);
            var (a, s) = Squeeze0(convs[i]);
            MertFixture.AssertClose($"{window}.conv{i}", e, es, a, s, atol);
        }
        var (ef, efs) = MertFixture.Npy($"{window}.extract_features.npy");
        var (af, afs) = Squeeze0(features);
        MertFixture.AssertClose($"{window}.extract_features", ef, efs, af, afs, atol);

        var projected = _model.feature_projection.call(features);
        var (ep, eps) = MertFixture.Npy($"{window}.projected.npy");
        var (ap, aps) = Squeeze0(projected);
        MertFixture.AssertClose($"{window}.projected", ep, eps, ap, aps, atol);

        var pos = _model.encoder.pos_conv_embed.call(projected);
        var (eq, eqs) = MertFixture.Npy($"{window}.pos_conv.npy");
        var (aq, aqs) = Squeeze0(pos);
        MertFixture.AssertClose($"{window}.pos_conv", eq, eqs, aq, aqs, atol);
    }

    [TestMethod]
    [DataRow("window")]
    [DataRow("window_short")]
    public void HiddenStatesMatch(string window)
    {
        using var scope = NewDisposeScope();
        var states = _model.HiddenStates(Input(window));
        var stacked = stack(states.Select(h => h[0]).ToArray(), 0); // (L, T, H)
        foreach (var h in states) h.Dispose();
        var (e, es) = MertFixture.Npy($"{window}.hidden_states.npy");
        MertFixture.AssertClose($"{window}.hidden_states", e, es, stacked.data<float>().ToArray(), stacked.shape, MertFixture.Tolerance("hidden_states"));
    }

    [TestMethod]
    [DataRow("window")]
    [DataRow("window_short")]
    public void WindowMertFeatureMatches(string window)
    {
        var (input, _) = MertFixture.Npy($"{window}.input.npy");
        var extractor = new MertExtractor(new TorchMertEngine(_model, ownsModel: false));
        var features = extractor.ExtractFromWindows(new[] { new ArraySegment<float>(input) });
        var (e, es) = MertFixture.Npy($"{window}.mert.npy");
        MertFixture.AssertClose($"{window}.mert", e, es, features.Values, new long[] { 1, features.Rows, features.Columns }, MertFixture.Tolerance("window_mert"));
    }

    [TestMethod]
    public void BatchedWindowsEqualSeparateWindows()
    {
        // Two full windows and one short: the full ones run as one batch; each row must equal its solo result.
        var (full, _) = MertFixture.Npy("window.input.npy");
        var (shortWindow, _) = MertFixture.Npy("window_short.input.npy");
        var reversed = full.Reverse().ToArray();
        var windows = new[] { new ArraySegment<float>(full), new ArraySegment<float>(shortWindow), new ArraySegment<float>(reversed) };
        var extractor = new MertExtractor(new TorchMertEngine(_model, ownsModel: false)) { MaxBatchWindows = 4 };
        var batched = extractor.ExtractLayersFromWindows(windows);
        Assert.AreEqual(3, batched.Windows);
        for (int w = 0; w < windows.Length; w++)
        {
            var solo = extractor.ExtractLayersFromWindows(new[] { windows[w] });
            for (int l = 0; l < batched.Layers; l++)
            {
                var a = batched.Values.AsSpan((l * 3 + w) * batched.Hidden, batched.Hidden).ToArray();
                var s = solo.Values.AsSpan(l * solo.Hidden, solo.Hidden).ToArray();
                MertFixture.AssertClose($"window {w} layer {l} batched vs solo", s, new long[] { s.Length }, a, new long[] { a.Length }, 1e-5);
            }
        }
    }

    [TestMethod]
    public void SafetensorsAndPickleLoadIdenticalParameters()
    {
        using var fromSafetensors = MertPretrained.Load(Path.Combine(MertFixture.Dir, "config.json"), Path.Combine(MertFixture.Dir, "model.safetensors"), "cpu");
        var pickle = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int compared = 0;
        foreach (var (name, p) in fromSafetensors.named_parameters())
        {
            Assert.IsTrue(pickle.ContainsKey(name), name);
            CollectionAssert.AreEqual(pickle[name].shape, p.shape, name);
            using var same = p.eq(pickle[name]).all();
            Assert.IsTrue(same.item<bool>(), $"{name} differs between model.safetensors and pytorch_model.bin");
            compared++;
        }
        Assert.AreEqual(51, compared, "mert-tiny has 51 tensors");
        // And the safetensors model reproduces the fixture on its own.
        using var scope = NewDisposeScope();
        var states = fromSafetensors.HiddenStates(Input("window_short"));
        var stacked = stack(states.Select(h => h[0]).ToArray(), 0);
        var (e, es) = MertFixture.Npy("window_short.hidden_states.npy");
        MertFixture.AssertClose("window_short.hidden_states (safetensors)", e, es, stacked.data<float>().ToArray(), stacked.shape, MertFixture.Tolerance("hidden_states"));
    }

    [TestMethod]
    public void FolderLoadPrefersSafetensorsAndReportsEverythingLoaded()
    {
        using var model = MertPretrained.Load(MertFixture.Dir);
        Assert.AreEqual(32, model.Config.HiddenSize);
        Assert.AreEqual(3, model.Config.NumHiddenStates);
    }

    [TestMethod]
    public void ParametrizationNamesAndRemovedWeightNormLoadTheSameWeights()
    {
        var original = CheckpointReader.Read(Path.Combine(MertFixture.Dir, "pytorch_model.bin"));
        const string pc = "encoder.pos_conv_embed.conv.";
        // torch ≥ 2.1 names.
        var renamed = new StateDict(original.Select(kv => new KeyValuePair<string, CheckpointTensor>(
            kv.Key.Replace(pc + "weight_g", pc + "parametrizations.weight.original0").Replace(pc + "weight_v", pc + "parametrizations.weight.original1"), kv.Value)), "renamed");
        // weight_norm removed before saving: only the effective weight.
        var w = _model.encoder.pos_conv_embed.conv.Weight();
        var plain = new StateDict(original.Where(kv => !kv.Key.StartsWith(pc + "weight_"))
            .Append(new KeyValuePair<string, CheckpointTensor>(pc + "weight", CheckpointTensor.FromTensor(w))), "plain");
        foreach (var sd in new[] { renamed, plain })
        {
            using var model = new MusicHubertModel(_model.Config);
            StateDictLoader.Load(model, MertPretrained.Normalize(sd, sd.SourcePath));
            using var w2 = model.encoder.pos_conv_embed.conv.Weight();
            double diff = w2.Minus(w).abs().max().item<float>();
            Assert.IsTrue(diff < 1e-6, $"{sd.SourcePath}: effective pos-conv weight differs by {diff}");
        }
        w.Dispose();
    }
}
