using ClaMP3.ML.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Tests.Checkpoints;

[TestClass]
public class StateDictLoaderTests
{
    private static nn.Module<Tensor, Tensor> NewModule() =>
        nn.Sequential(("fc", nn.Linear(3, 2)), ("bn", nn.BatchNorm1d(2)));

    private static CheckpointTensor F32(long[] shape, params float[] v) => CheckpointTensor.FromFloat32(v, shape);

    private static CheckpointTensor F64(params double[] v) =>
        new(TensorDType.Float64, new long[] { v.Length }, System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray());

    private static List<KeyValuePair<string, CheckpointTensor>> FullState(string prefix = "") => new()
    {
        new(prefix + "fc.weight", F32(new long[] { 2, 3 }, 1, 2, 3, 4, 5, 6)),
        new(prefix + "fc.bias", F32(new long[] { 2 }, -1, -2)),
        new(prefix + "bn.weight", F32(new long[] { 2 }, 0.5f, 0.25f)),
        new(prefix + "bn.bias", F32(new long[] { 2 }, 0.125f, 8)),
        new(prefix + "bn.running_mean", F64(0.1, 0.2)),     // float64 in the file, float32 in the module
        new(prefix + "bn.running_var", F32(new long[] { 2 }, 3, 4)),
        new(prefix + "bn.num_batches_tracked", new CheckpointTensor(TensorDType.Int64, Array.Empty<long>(), BitConverter.GetBytes(42L))),
    };

    [TestMethod]
    public void CopiesEveryParameterAndBufferByNameConvertingDType()
    {
        using var module = NewModule();
        var report = StateDictLoader.Load(module, new StateDict(FullState(), "mem.pth"));
        Assert.AreEqual(7, report.Loaded.Count);
        var p = module.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var b = module.named_buffers().ToDictionary(x => x.name, x => x.buffer);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, p["fc.weight"].data<float>().ToArray());
        CollectionAssert.AreEqual(new float[] { -1, -2 }, p["fc.bias"].data<float>().ToArray());
        Assert.AreEqual(ScalarType.Float32, b["bn.running_mean"].dtype);
        CollectionAssert.AreEqual(new float[] { 0.1f, 0.2f }, b["bn.running_mean"].data<float>().ToArray());
        Assert.AreEqual(42L, b["bn.num_batches_tracked"].item<long>());
        Assert.IsTrue(p["fc.weight"].requires_grad, "still a trainable parameter");
    }

    [TestMethod]
    public void MismatchListsEveryMissingUnexpectedAndMisshapenNameAndCopiesNothing()
    {
        using var module = NewModule();
        var state = FullState();
        state.RemoveAll(kv => kv.Key is "fc.bias" or "bn.running_var");
        state[0] = new("fc.weight", F32(new long[] { 3, 2 }, 1, 2, 3, 4, 5, 6));
        state.Add(new("fc.extra", F32(new long[] { 1 }, 0)));
        using var before = module.named_parameters().First(x => x.name == "bn.weight").parameter.clone();
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => StateDictLoader.Load(module, new StateDict(state, "bad.pth")));
        CollectionAssert.AreEqual(new[] { "fc.bias", "bn.running_var" }, e.Missing.ToList());
        CollectionAssert.AreEqual(new[] { "fc.extra" }, e.Unexpected.ToList());
        Assert.AreEqual(1, e.ShapeMismatches.Count);
        foreach (var s in new[] { "bad.pth", "fc.bias", "bn.running_var", "fc.extra", "fc.weight: checkpoint [3, 2] vs module [2, 3]" })
            StringAssert.Contains(e.Message, s);
        var after = module.named_parameters().First(x => x.name == "bn.weight").parameter;
        CollectionAssert.AreEqual(before.data<float>().ToArray(), after.data<float>().ToArray(), "nothing is copied when the checkpoint does not fit");
    }

    [TestMethod]
    public void IgnorePredicatesAndKeyPrefixSelectWhatIsChecked()
    {
        using var module = NewModule();
        var state = FullState("audio_model.");
        state.RemoveAll(kv => kv.Key.EndsWith("num_batches_tracked"));
        state.Add(new("audio_model.embeddings.position_ids", F32(new long[] { 1 }, 0)));
        state.Add(new("text_model.fc.weight", F32(new long[] { 1 }, 0))); // outside the prefix: not considered
        var report = StateDictLoader.Load(module, new StateDict(state), ignoreMissing: n => n.EndsWith("num_batches_tracked"),
            ignoreUnexpected: n => n.EndsWith("position_ids"), keyPrefix: "audio_model.");
        Assert.AreEqual(6, report.Loaded.Count);
        CollectionAssert.AreEqual(new[] { "bn.num_batches_tracked" }, report.IgnoredMissing.ToList());
        CollectionAssert.AreEqual(new[] { "embeddings.position_ids" }, report.IgnoredUnexpected.ToList());
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => StateDictLoader.Load(module, new StateDict(state), keyPrefix: "audio_model."));
        StringAssert.Contains(e.Message, "audio_model.bn.num_batches_tracked");
        StringAssert.Contains(e.Message, "audio_model.embeddings.position_ids");
    }

    [TestMethod]
    public void LoadsMertTinyIntoModuleShapedLikeIt()
    {
        // Every tensor of a real fixture checkpoint goes into a parameter of the same name and shape, bit for bit.
        var sd = CheckpointReader.Read(TestPaths.Fixture("mert-tiny", "pytorch_model.bin"));
        using var module = new ParameterBag(sd);
        StateDictLoader.Load(module, sd);
        foreach (var (name, p) in module.named_parameters())
            CollectionAssert.AreEqual(sd[name].ToFloat32(), p.data<float>().ToArray(), name);
    }

    /// <summary>A module with one zero parameter per state-dict entry (dots replaced by nested modules).</summary>
    private sealed class ParameterBag : nn.Module
    {
        public ParameterBag(StateDict sd) : base("bag")
        {
            foreach (var (key, t) in sd)
            {
                nn.Module owner = this;
                var parts = key.Split('.');
                foreach (var part in parts[..^1])
                {
                    var child = owner.named_children().FirstOrDefault(c => c.name == part).module;
                    if (child == null) { child = new Bag(part); owner.register_module(part, child); }
                    owner = child;
                }
                owner.register_parameter(parts[^1], new TorchSharp.Modules.Parameter(zeros(t.Shape)));
            }
        }
    }

    private sealed class Bag(string name) : nn.Module(name);
}
