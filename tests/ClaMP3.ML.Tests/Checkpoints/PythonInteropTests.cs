using System.Text.Json.Nodes;
using ClaMP3.ML.Checkpoints;
using TorchSharp;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>Files made by real torch.save are read exactly; files we write load with torch.load(weights_only=True).</summary>
[TestClass]
public class PythonInteropTests
{
    private const string MakeFiles = PyValues.Encoder + """
        import sys, os
        torch.manual_seed(0)
        out = sys.argv[1]
        x = torch.arange(6.).reshape(2, 3)
        base = torch.arange(10, dtype=torch.float64) / 3
        shared = torch.randn(4, 5)
        objs = {
          "plain_dict": {
            "t_transposed": x.t(), "column": x[:, 1], "cols": x[:, 1:], "slice_offset": torch.arange(10.)[3:7], "every_other": base[1::2],
            "bf16": torch.tensor([1.5, -2.0, 3.140625]).bfloat16(), "f16": torch.tensor([0.1, -65504.0]).half(),
            "f64": base, "i64": torch.tensor([2**40, -3]), "i32": torch.tensor([7, -8], dtype=torch.int32),
            "i16": torch.tensor([300, -301], dtype=torch.int16), "i8": torch.tensor([-128, 127], dtype=torch.int8),
            "u8": torch.tensor([0, 255], dtype=torch.uint8), "mask": torch.tensor([True, False, True]),
            "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3), "param": torch.nn.Parameter(torch.randn(3, 2)),
            "shared_a": shared[1], "shared_b": shared[:, 2].contiguous(), "shared_t": shared.t(),
          },
          "bare_odict": torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2)).state_dict(),
        }
        model = torch.nn.Linear(4, 3)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        model(torch.randn(2, 4)).sum().backward(); opt.step(); sched.step()
        objs["training"] = {"model": model.state_dict(), "optimizer": opt.state_dict(), "lr_sched": sched.state_dict(),
                            "epoch": 5, "best_epoch": 4, "min_eval_loss": 0.75, "modality": "text"}
        for name, o in objs.items():
            torch.save(o, os.path.join(out, name + ".pth"))
            with open(os.path.join(out, name + ".json"), "w") as f: json.dump(enc(o), f)
        torch.save({"a": x}, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
        """;

    [TestMethod]
    public void FilesWrittenByTorchSaveAreReadExactly()
    {
        using var tmp = TestPaths.NewTempDir();
        PythonTorch.Run(MakeFiles, tmp.Path);
        foreach (var name in new[] { "plain_dict", "bare_odict", "training" })
        {
            var path = Path.Combine(tmp.Path, name + ".pth");
            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(tmp.Path, name + ".json")));
            PyValues.AssertSame(CheckpointReader.ReadPickle(path), expected, name, orderedDictExpected: name == "bare_odict");
        }

        var plain = CheckpointReader.Read(Path.Combine(tmp.Path, "plain_dict.pth"));
        CollectionAssert.AreEqual(new float[] { 0, 3, 1, 4, 2, 5 }, plain["t_transposed"].ToFloat32(), "x.t() in C order");
        Assert.AreEqual(0, plain.Metadata.Count);

        var bare = CheckpointReader.Read(Path.Combine(tmp.Path, "bare_odict.pth"));
        CollectionAssert.AreEqual(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }, bare.Keys.ToList());

        var training = CheckpointReader.Read(Path.Combine(tmp.Path, "training.pth"));
        CollectionAssert.AreEqual(new[] { "weight", "bias" }, training.Keys.ToList());
        Assert.AreEqual(5L, training.Metadata["epoch"]);
        Assert.AreEqual(0.75, training.Metadata["min_eval_loss"]);
        Assert.AreEqual("text", training.Metadata["modality"]);
        Assert.IsTrue(training.Metadata.ContainsKey("lr_sched"));
        Assert.IsFalse(training.Metadata.ContainsKey("optimizer"), "values holding tensors are left to ReadPickle");

        var legacy = Path.Combine(tmp.Path, "legacy.pth");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(legacy));
        StringAssert.Contains(e.Message, legacy);
        StringAssert.Contains(e.Message, "legacy");
    }

    [TestMethod]
    public void StateDictFromTorchGivesTheSameOutputsInTorchSharp()
    {
        using var tmp = TestPaths.NewTempDir();
        var stdout = PythonTorch.Run("""
            import torch, sys
            torch.manual_seed(3)
            m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
            torch.save(m.state_dict(), sys.argv[1])
            print(" ".join(repr(v) for v in m(torch.tensor([[0.5, -1.0, 2.0]])).flatten().tolist()))
            """, Path.Combine(tmp.Path, "m.pth"));
        var expected = stdout.Trim().Split(' ').Select(double.Parse).ToArray();
        using var module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4));
        StateDictLoader.Load(module, CheckpointReader.Read(Path.Combine(tmp.Path, "m.pth")));
        using var y = module.call(torch.tensor(new float[] { 0.5f, -1, 2 }, new long[] { 1, 3 }));
        var actual = y.data<float>().ToArray();
        double worst = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(worst <= 1e-6, $"worst |torch - TorchSharp| = {worst}");
    }

    /// <summary>What the contrastive trainer saves: model, AdamW state, LambdaLR state, epochs, loss, modality.</summary>
    internal static Dictionary<string, object?> TrainingCheckpoint()
    {
        var w = CheckpointTensor.FromFloat32(new float[] { 1, -2, 3.5f, 4, 5, 6e-8f }, 2, 3);
        var b = CheckpointTensor.FromFloat32(new float[] { 0.25f, -0.5f }, 2);
        var model = new StateDict(new KeyValuePair<string, CheckpointTensor>[] { new("weight", w), new("bias", b) });
        var step = new CheckpointTensor(TensorDType.Float32, Array.Empty<long>(), BitConverter.GetBytes(3f));
        var state = new Dictionary<long, object?>
        {
            [0] = new Dictionary<string, object?> { ["step"] = step, ["exp_avg"] = CheckpointTensor.FromFloat32(new float[] { .1f, .2f, .3f, .4f, .5f, .6f }, 2, 3), ["exp_avg_sq"] = CheckpointTensor.FromFloat32(new float[] { 1e-3f, 2e-3f, 3e-3f, 4e-3f, 5e-3f, 6e-3f }, 2, 3) },
            [1] = new Dictionary<string, object?> { ["step"] = step, ["exp_avg"] = CheckpointTensor.FromFloat32(new float[] { -.1f, .2f }, 2), ["exp_avg_sq"] = CheckpointTensor.FromFloat32(new float[] { 1e-4f, 2e-4f }, 2) },
        };
        var group = new Dictionary<string, object?>
        {
            ["lr"] = 1e-5, ["betas"] = (0.9, 0.999), ["eps"] = 1e-8, ["weight_decay"] = 0.01, ["amsgrad"] = false,
            ["maximize"] = false, ["foreach"] = null, ["capturable"] = false, ["differentiable"] = false, ["fused"] = null,
            ["initial_lr"] = 1e-5, ["params"] = new List<long> { 0, 1 },
        };
        return new Dictionary<string, object?>
        {
            ["model"] = model,
            ["optimizer"] = new Dictionary<string, object?> { ["state"] = state, ["param_groups"] = new List<object?> { group } },
            ["lr_sched"] = new Dictionary<string, object?>
            {
                ["base_lrs"] = new List<double> { 1e-5 }, ["last_epoch"] = 7L, ["verbose"] = false, ["_step_count"] = 8L,
                ["_get_lr_called_within_step"] = false, ["_last_lr"] = new List<double> { 1e-5 }, ["lr_lambdas"] = new List<object?> { null },
            },
            ["epoch"] = 3L, ["best_epoch"] = 2L, ["min_eval_loss"] = 1.2345, ["modality"] = "text",
            ["big"] = 1L << 40, ["negative"] = -70000L, ["unicode"] = "Ünïcødé ♫",
        };
    }

    [TestMethod]
    public void WrittenStateDictOfEveryDTypeLoadsWithTorchWeightsOnly()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "sd.pth");
        var sd = new StateDict(new KeyValuePair<string, CheckpointTensor>[]
        {
            new("f32", CheckpointTensor.FromFloat32(new float[] { 1, -2, 3.5f, float.Epsilon, 5, 6e-8f }, 2, 3)),
            new("f64", new CheckpointTensor(TensorDType.Float64, new long[] { 2 }, Bytes(0.1, -1e300))),
            new("f16", new CheckpointTensor(TensorDType.Float16, new long[] { 2 }, Bytes((Half)0.5f, (Half)(-65504f)))),
            new("bf16", new CheckpointTensor(TensorDType.BFloat16, new long[] { 2 }, Bytes<ushort>(0x3FC0, 0xC000))),
            new("i64", new CheckpointTensor(TensorDType.Int64, new long[] { 2 }, Bytes(1L << 40, -3L))),
            new("i32", new CheckpointTensor(TensorDType.Int32, new long[] { 1, 2 }, Bytes(7, -8))),
            new("i16", new CheckpointTensor(TensorDType.Int16, new long[] { 2 }, Bytes<short>(300, -301))),
            new("i8", new CheckpointTensor(TensorDType.Int8, new long[] { 2 }, Bytes<sbyte>(-128, 127))),
            new("u8", new CheckpointTensor(TensorDType.UInt8, new long[] { 2 }, Bytes<byte>(0, 255))),
            new("mask", new CheckpointTensor(TensorDType.Bool, new long[] { 3 }, Bytes<byte>(1, 0, 1))),
            new("scalar", new CheckpointTensor(TensorDType.Float32, Array.Empty<long>(), Bytes(2.5f))),
            new("empty", new CheckpointTensor(TensorDType.Float32, new long[] { 0, 3 }, Array.Empty<byte>())),
        });
        PthWriter.Write(path, sd);
        // No Python float in a bare state dict, so even torch 1.x's strict weights_only loader must take it.
        var json = PythonTorch.Run(PyValues.Encoder + """
            import sys
            print(json.dumps(enc(torch.load(sys.argv[1], weights_only=True))))
            """, path);
        PyValues.AssertSame(CheckpointReader.ReadPickle(path), JsonNode.Parse(json), "sd", orderedDictExpected: true);
        foreach (var (key, t) in CheckpointReader.Read(path))
            CollectionAssert.AreEqual(sd[key].Data, t.Data, key);
    }

    private static byte[] Bytes<T>(params T[] values) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [TestMethod]
    public void WriterOutputLoadsWithTorchWeightsOnlyIntoAdamWAndLambdaLR()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var zip64 in new[] { false, true })
        {
            var path = Path.Combine(tmp.Path, $"ours{(zip64 ? "64" : "")}.pth");
            PthWriter.Write(path, TrainingCheckpoint(), zip64);
            var json = PythonTorch.Run(PyValues.Encoder + """
                import sys
                ck = load_weights_only(sys.argv[1])
                m = torch.nn.Linear(3, 2)
                m.load_state_dict(ck["model"])
                opt = torch.optim.AdamW(m.parameters(), lr=1.0)
                opt.load_state_dict(ck["optimizer"])
                sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
                sched.load_state_dict(ck["lr_sched"])
                assert opt.param_groups[0]["betas"] == (0.9, 0.999) and opt.param_groups[0]["lr"] == 1e-5
                assert torch.equal(opt.state[m.weight]["exp_avg"], ck["optimizer"]["state"][0]["exp_avg"])
                assert sched.last_epoch == 7
                print(json.dumps(enc(ck)))
                """, path);
            PyValues.AssertSame(CheckpointReader.ReadPickle(path), JsonNode.Parse(json), zip64 ? "zip64" : "zip");
        }
    }
}
