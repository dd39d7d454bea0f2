using System.Text.Json;
using System.Text.RegularExpressions;
using ClaMP3.ML.Checkpoints;

namespace ClaMP3.ML.Tests.Checkpoints;

[TestClass]
public class CheckpointReaderTests
{
    private static string Clamp3Tiny => TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth");

    /// <summary>The key list with shapes, in file order, that clamp3-tiny/README.md documents.</summary>
    private static List<(string Key, long[] Shape)> DocumentedClamp3Keys()
    {
        var readme = File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "README.md"));
        var section = readme[readme.IndexOf("## Checkpoint", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("## Cases", StringComparison.Ordinal)];
        return Regex.Matches(section, @"^(\S+\.(?:weight|bias))\s+(\d+(?:x\d+)*)\s*$", RegexOptions.Multiline)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Split('x').Select(long.Parse).ToArray())).ToList();
    }

    [TestMethod]
    public void ReadsClamp3TinyCheckpointKeysShapesAndMetadata()
    {
        // README: "torch.save({'model': state_dict, 'epoch': 3, 'min_eval_loss': 1.2345}) ... float32 tensors, 125 entries"
        var readme = File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "README.md"));
        var saved = Regex.Match(readme, @"'epoch': (\d+), 'min_eval_loss': ([0-9.eE+-]+)\}");
        var entries = Regex.Match(readme, @"float32 tensors, (\d+) entries");
        Assert.IsTrue(saved.Success && entries.Success, "README states what was saved");
        var expected = DocumentedClamp3Keys();
        Assert.AreEqual(int.Parse(entries.Groups[1].Value), expected.Count, "README key list parsed");
        var sd = CheckpointReader.Read(Clamp3Tiny);
        Assert.AreEqual(Clamp3Tiny, sd.SourcePath);
        CollectionAssert.AreEqual(expected.Select(e => e.Key).ToList(), sd.Keys.ToList(), "keys in file order");
        foreach (var (key, shape) in expected)
        {
            Assert.AreEqual(TensorDType.Float32, sd[key].DType, key);
            CollectionAssert.AreEqual(shape, sd[key].Shape, key);
        }
        Assert.AreEqual(long.Parse(saved.Groups[1].Value), sd.Metadata["epoch"]);
        Assert.AreEqual(double.Parse(saved.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), sd.Metadata["min_eval_loss"]);
        Assert.AreEqual(2, sd.Metadata.Count, "only epoch and min_eval_loss beside the model");
    }

    [TestMethod]
    public void Clamp3TinyTensorsHoldTheirOwnStorages()
    {
        // The generator draws LayerNorm weights from U(0.6, 1.4) and everything else around 0 (README "Config"):
        // a key mapped to the wrong storage, offset or dtype would break one of these.
        var sd = CheckpointReader.Read(Clamp3Tiny);
        foreach (var (key, t) in sd)
        {
            var v = t.ToFloat32();
            Assert.IsTrue(v.All(float.IsFinite), key);
            if (key.EndsWith("LayerNorm.weight", StringComparison.Ordinal))
                Assert.IsTrue(v.All(x => x >= 0.6f && x <= 1.4f), $"{key}: min {v.Min()}, max {v.Max()}");
            else if (v.Length >= 24)
                Assert.IsTrue(Math.Abs(v.Average()) < 0.25 && v.Any(x => x < 0), $"{key}: mean {v.Average()}");
        }
    }

    [TestMethod]
    public void MertBinAndSafetensorsAreBitIdentical()
    {
        var bin = CheckpointReader.Read(TestPaths.Fixture("mert-tiny", "pytorch_model.bin"));
        var st = CheckpointReader.Read(TestPaths.Fixture("mert-tiny", "model.safetensors"));
        // Expected from config.json (README: 51 tensors for the tiny config): masked_spec_embed, one weight per conv
        // layer (no conv bias), the group norm pair, projection LayerNorm + Linear, pos conv bias/weight_g/weight_v,
        // encoder LayerNorm, and 16 per layer.
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("mert-tiny", "config.json")));
        var c = config.RootElement;
        int layers = c.GetProperty("num_hidden_layers").GetInt32(), hidden = c.GetProperty("hidden_size").GetInt32();
        int convLayers = c.GetProperty("conv_dim").GetArrayLength();
        Assert.AreEqual(1 + convLayers + 2 + 2 + 2 + 3 + 2 + 16 * layers, bin.Count);
        Assert.AreEqual(bin.Count, st.Count);
        Assert.AreEqual("masked_spec_embed", bin.Keys.First(), "HF order kept");
        CollectionAssert.AreEqual(new long[] { hidden, hidden / c.GetProperty("num_conv_pos_embedding_groups").GetInt32(), c.GetProperty("num_conv_pos_embeddings").GetInt32() },
            bin["encoder.pos_conv_embed.conv.weight_v"].Shape);
        CollectionAssert.AreEqual(new long[] { c.GetProperty("conv_dim")[0].GetInt32(), 1, c.GetProperty("conv_kernel")[0].GetInt32() },
            bin["feature_extractor.conv_layers.0.conv.weight"].Shape);
        foreach (var (key, a) in bin)
        {
            Assert.IsTrue(st.TryGetValue(key, out var b), $"{key} missing from model.safetensors");
            Assert.AreEqual(a.DType, b.DType, key);
            CollectionAssert.AreEqual(a.Shape, b.Shape, key);
            CollectionAssert.AreEqual(a.Data, b.Data, key);
        }
        Assert.AreEqual("pt", st.Metadata["format"]);
    }

    [TestMethod]
    public void ReadsTrainSafetensorsWithDocumentedCounts()
    {
        var clamp = CheckpointReader.Read(Clamp3Tiny);
        // train/README.md tabulates "N tensors, M floats" per file and setup (columns text_symbolic, text_audio, gradcache).
        var readme = File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "train", "README.md"));
        var setups = new[] { "text_symbolic", "text_audio", "gradcache" };
        var expected = new List<(string File, int Tensors, long Floats)>();
        foreach (var name in new[] { "grads.safetensors", "params_lr1e-3_step3.safetensors" })
        {
            var row = readme.Split('\n').Single(l => l.StartsWith($"| `{name}`", StringComparison.Ordinal));
            var cells = row.Split('|', StringSplitOptions.TrimEntries)[2..^1];
            for (int i = 0; i < setups.Length; i++)
            {
                var m = Regex.Match(cells[i], @"^(\d+) tensors, (\d+) floats$");
                if (m.Success) expected.Add(($"{setups[i]}/{name}", int.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value)));
            }
        }
        Assert.AreEqual(5, expected.Count, "README table parsed (gradcache has no params file)");
        foreach (var (file, count, floats) in expected)
        {
            var sd = CheckpointReader.Read(TestPaths.Fixture("clamp3-tiny", "train", file));
            Assert.AreEqual(count, sd.Count, file);
            Assert.AreEqual(floats, sd.Values.Sum(t => t.ElementCount), file);
            Assert.IsTrue(sd.Metadata.ContainsKey("stage") && sd.Metadata.ContainsKey("what"), file);
            foreach (var (key, t) in sd)
            {
                Assert.AreEqual(TensorDType.Float32, t.DType, $"{file}: {key}");
                CollectionAssert.AreEqual(clamp[key].Shape, t.Shape, $"{file}: {key} has the checkpoint's shape");
                Assert.IsTrue(t.ToFloat32().All(float.IsFinite), $"{file}: {key}");
            }
        }
    }

    [TestMethod]
    public void ReadPickleGivesTheWholeWrapperAsPlainValues()
    {
        var root = (Dictionary<string, object?>)CheckpointReader.ReadPickle(Clamp3Tiny)!;
        CollectionAssert.AreEqual(new[] { "model", "epoch", "min_eval_loss" }, root.Keys.ToList());
        var model = (Dictionary<string, object?>)root["model"]!;
        Assert.AreEqual(125, model.Count);
        var t = (CheckpointTensor)model["text_proj.weight"]!;
        CollectionAssert.AreEqual(new long[] { 24, 32 }, t.Shape);
        Assert.AreEqual(3L, root["epoch"]);
    }

    private static readonly float[] Six = { 0, 1, 2, 3, 4, 5 };

    private static byte[] Bytes<T>(params T[] values) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Writes {'t': tensor} as a torch.save zip with one storage and reads it back.</summary>
    private static CheckpointTensor ReadSingle(string storageClass, byte[] storage, long numel, long offset, long[] size, long[] stride)
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "t.pth");
        var p = new HandPickle().Proto().EmptyDict().Str("t").Tensor(storageClass, "0", numel, offset, size, stride).SetItem().Stop();
        HandPickle.WriteZip(path, p.ToArray(), new Dictionary<string, byte[]> { ["0"] = storage });
        return CheckpointReader.Read(path)["t"];
    }

    [TestMethod]
    public void NonContiguousStridesAndOffsetsAreMaterialisedInCOrder()
    {
        // A saved x.t() of x = [[0,1,2],[3,4,5]]: size (3,2), stride (1,3).
        var t = ReadSingle("FloatStorage", Bytes(Six), 6, 0, new long[] { 3, 2 }, new long[] { 1, 3 });
        CollectionAssert.AreEqual(new long[] { 3, 2 }, t.Shape);
        CollectionAssert.AreEqual(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToFloat32());
        // x[1:, ::2] style view: offset 1, every other element.
        var s = ReadSingle("FloatStorage", Bytes(Six), 6, 1, new long[] { 2 }, new long[] { 2 });
        CollectionAssert.AreEqual(new float[] { 1, 3 }, s.ToFloat32());
        // x[:, 1:]: dense rows at a row stride.
        CollectionAssert.AreEqual(new float[] { 1, 2, 4, 5 }, ReadSingle("FloatStorage", Bytes(Six), 6, 1, new long[] { 2, 2 }, new long[] { 3, 1 }).ToFloat32());
        // A contiguous slice at an offset, and an expanded (stride 0) view.
        CollectionAssert.AreEqual(new float[] { 2, 3, 4, 5 }, ReadSingle("FloatStorage", Bytes(Six), 6, 2, new long[] { 2, 2 }, new long[] { 2, 1 }).ToFloat32());
        CollectionAssert.AreEqual(new float[] { 4, 4, 4 }, ReadSingle("FloatStorage", Bytes(Six), 6, 4, new long[] { 3 }, new long[] { 0 }).ToFloat32());
        // A scalar (e.g. an optimizer's step).
        var scalar = ReadSingle("FloatStorage", Bytes(7f), 1, 0, Array.Empty<long>(), Array.Empty<long>());
        Assert.AreEqual(0, scalar.Shape.Length);
        CollectionAssert.AreEqual(new float[] { 7 }, scalar.ToFloat32());
    }

    [TestMethod]
    public void EveryStorageDTypeIsRead()
    {
        CollectionAssert.AreEqual(new float[] { 1.5f, -2 }, ReadSingle("DoubleStorage", Bytes(1.5, -2.0), 2, 0, new long[] { 2 }, new long[] { 1 }).ToFloat32());
        CollectionAssert.AreEqual(new float[] { 1.5f, -2 }, ReadSingle("HalfStorage", Bytes((Half)1.5f, (Half)(-2f)), 2, 0, new long[] { 2 }, new long[] { 1 }).ToFloat32());
        // bfloat16 1.5 = 0x3FC0, -2 = 0xC000
        CollectionAssert.AreEqual(new float[] { 1.5f, -2 }, ReadSingle("BFloat16Storage", Bytes<ushort>(0x3FC0, 0xC000), 2, 0, new long[] { 2 }, new long[] { 1 }).ToFloat32());
        CollectionAssert.AreEqual(new long[] { long.MaxValue, -3 }, ReadSingle("LongStorage", Bytes(long.MaxValue, -3L), 2, 0, new long[] { 2 }, new long[] { 1 }).ToInt64());
        CollectionAssert.AreEqual(new long[] { -7, 9 }, ReadSingle("IntStorage", Bytes(-7, 9), 2, 0, new long[] { 2 }, new long[] { 1 }).ToInt64());
        CollectionAssert.AreEqual(new long[] { -7, 9 }, ReadSingle("ShortStorage", Bytes<short>(-7, 9), 2, 0, new long[] { 2 }, new long[] { 1 }).ToInt64());
        CollectionAssert.AreEqual(new long[] { -7, 9 }, ReadSingle("CharStorage", Bytes<sbyte>(-7, 9), 2, 0, new long[] { 2 }, new long[] { 1 }).ToInt64());
        CollectionAssert.AreEqual(new long[] { 250, 9 }, ReadSingle("ByteStorage", Bytes<byte>(250, 9), 2, 0, new long[] { 2 }, new long[] { 1 }).ToInt64());
        var b = ReadSingle("BoolStorage", Bytes<byte>(1, 0, 1), 3, 0, new long[] { 3 }, new long[] { 1 });
        Assert.AreEqual(TensorDType.Bool, b.DType);
        CollectionAssert.AreEqual(new long[] { 1, 0, 1 }, b.ToInt64());
    }

    [TestMethod]
    public void TorchTwoUntypedStorageWithDTypeGlobalIsRead()
    {
        // torch >= 2 for its newer dtypes: _rebuild_tensor_v3(UntypedStorage(bytes), offset, size, stride, rg, hooks, torch.int16)
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "v3.pth");
        var p = new HandPickle().Proto().EmptyDict().Str("t")
            .Global("torch._utils", "_rebuild_tensor_v3").Mark()
            .Mark().Str("storage").Global("torch", "UntypedStorage").Str("0").Str("cpu").Int(6).Tuple().PersId()
            .Int(1).Mark().Int(2).Tuple().Mark().Int(1).Tuple().False().Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Global("torch", "int16").Tuple().Reduce().SetItem().Stop();
        HandPickle.WriteZip(path, p.ToArray(), new Dictionary<string, byte[]> { ["0"] = Bytes<short>(5, -6, 7) });
        var t = CheckpointReader.Read(path)["t"];
        Assert.AreEqual(TensorDType.Int16, t.DType);
        CollectionAssert.AreEqual(new long[] { -6, 7 }, t.ToInt64());
    }

    [TestMethod]
    public void RebuildParameterUnwrapsToTheTensor()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "param.pth");
        var p = new HandPickle().Proto().EmptyDict().Str("w")
            .Global("torch._utils", "_rebuild_parameter").Mark()
            .Tensor("FloatStorage", "0", 6, 0, new long[] { 2, 3 }, new long[] { 3, 1 })
            .Op(0x88).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce()
            .SetItem().Stop();
        HandPickle.WriteZip(path, p.ToArray(), new Dictionary<string, byte[]> { ["0"] = Bytes(Six) });
        CollectionAssert.AreEqual(Six, CheckpointReader.Read(path)["w"].ToFloat32());
    }

    [TestMethod]
    public void ToTensorKeepsDTypeShapeAndValues()
    {
        var sd = CheckpointReader.Read(Clamp3Tiny);
        var src = sd["text_model.encoder.layer.0.intermediate.dense.weight"];
        using var t = src.ToTensor();
        Assert.AreEqual(TorchSharp.torch.ScalarType.Float32, t.dtype);
        CollectionAssert.AreEqual(src.Shape, t.shape);
        CollectionAssert.AreEqual(src.ToFloat32(), t.data<float>().ToArray());
        var bf = new CheckpointTensor(TensorDType.BFloat16, new long[] { 2 }, Bytes<ushort>(0x3FC0, 0xC000));
        using var bt = bf.ToTensor();
        Assert.AreEqual(TorchSharp.torch.ScalarType.BFloat16, bt.dtype);
        using var bf32 = bt.to(TorchSharp.torch.ScalarType.Float32);
        CollectionAssert.AreEqual(new float[] { 1.5f, -2 }, bf32.data<float>().ToArray());
    }

    [TestMethod]
    public void ReadingKeepsOneCopyOfTheTensorData()
    {
        // Storages are streamed from the zip straight into the arrays the tensors keep: reading a checkpoint allocates
        // its tensor bytes once (a 1.8 GB checkpoint must not need 3.6 GB).
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "big.pth");
        var rng = new Random(1);
        var tensors = Enumerable.Range(0, 4).Select(i =>
        {
            var v = new float[2_000_000];
            for (int j = 0; j < v.Length; j++) v[j] = (float)rng.NextDouble();
            return new KeyValuePair<string, CheckpointTensor>($"layer{i}.weight", CheckpointTensor.FromFloat32(v, 1000, 2000));
        }).ToList();
        PthWriter.Write(path, new Dictionary<string, object?> { ["model"] = new StateDict(tensors), ["epoch"] = 1L });
        long dataBytes = tensors.Sum(t => (long)t.Value.Data.Length);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sd = CheckpointReader.Read(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(allocated < dataBytes + 2_000_000, $"allocated {allocated} bytes for {dataBytes} bytes of tensors");
        foreach (var (key, t) in tensors) CollectionAssert.AreEqual(t.Data, sd[key].Data, key);
    }
}
