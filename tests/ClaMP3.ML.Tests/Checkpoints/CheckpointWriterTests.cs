using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ClaMP3.ML.Checkpoints;
using TorchSharp;

namespace ClaMP3.ML.Tests.Checkpoints;

[TestClass]
public class CheckpointWriterTests
{
    [TestMethod]
    public void TrainingCheckpointRoundTripsThroughTheReader()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "ckpt.pth");
        var input = PythonInteropTests.TrainingCheckpoint();
        PthWriter.Write(path, input);

        var sd = CheckpointReader.Read(path);
        var model = (StateDict)input["model"]!;
        CollectionAssert.AreEqual(model.Keys.ToList(), sd.Keys.ToList());
        foreach (var (key, t) in model)
        {
            CollectionAssert.AreEqual(t.Shape, sd[key].Shape, key);
            CollectionAssert.AreEqual(t.Data, sd[key].Data, key);
        }
        Assert.AreEqual(3L, sd.Metadata["epoch"]);
        Assert.AreEqual(2L, sd.Metadata["best_epoch"]);
        Assert.AreEqual(1.2345, sd.Metadata["min_eval_loss"]);
        Assert.AreEqual("text", sd.Metadata["modality"]);
        Assert.AreEqual(1L << 40, sd.Metadata["big"]);
        Assert.AreEqual(-70000L, sd.Metadata["negative"]);
        Assert.AreEqual("Ünïcødé ♫", sd.Metadata["unicode"]);

        var root = (Dictionary<string, object?>)CheckpointReader.ReadPickle(path)!;
        CollectionAssert.AreEqual(input.Keys.ToList(), root.Keys.ToList());
        var optimizer = (Dictionary<string, object?>)root["optimizer"]!;
        var state = (Dictionary<object, object?>)optimizer["state"]!; // int keys
        CollectionAssert.AreEqual(new object[] { 0L, 1L }, state.Keys.ToList());
        var s0 = (Dictionary<string, object?>)state[0L]!;
        var step = (CheckpointTensor)s0["step"]!;
        Assert.AreEqual(0, step.Shape.Length);
        CollectionAssert.AreEqual(new float[] { 3 }, step.ToFloat32());
        CollectionAssert.AreEqual(new float[] { -.1f, .2f }, ((CheckpointTensor)((Dictionary<string, object?>)state[1L]!)["exp_avg"]!).ToFloat32());
        var group = (Dictionary<string, object?>)((List<object?>)optimizer["param_groups"]!)[0]!;
        CollectionAssert.AreEqual(new object?[] { 0.9, 0.999 }, (object?[])group["betas"]!, "a value tuple becomes a Python tuple");
        CollectionAssert.AreEqual(new List<object?> { 0L, 1L }, (List<object?>)group["params"]!);
        Assert.IsNull(group["foreach"]);
        Assert.AreEqual(false, group["amsgrad"]);
        CollectionAssert.AreEqual(new List<object?> { null }, (List<object?>)((Dictionary<string, object?>)root["lr_sched"]!)["lr_lambdas"]!);
    }

    [TestMethod]
    public void ArchiveHasTorchLayoutWithAlignedStoredEntries()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var zip64 in new[] { false, true })
        {
            var path = Path.Combine(tmp.Path, $"ckpt{zip64}.pth");
            PthWriter.Write(path, PythonInteropTests.TrainingCheckpoint(), zip64);
            using (var zip = ZipFile.OpenRead(path))
            {
                var names = zip.Entries.Select(e => e.FullName).ToList();
                CollectionAssert.AreEqual(new[] { "archive/data.pkl", "archive/byteorder" }, names.Take(2).ToList());
                Assert.AreEqual("archive/version", names[^1]);
                Assert.AreEqual(2 + 8 + 1, names.Count, "one storage per tensor (2 model, 6 optimizer)");
                Assert.AreEqual("little", new StreamReader(zip.GetEntry("archive/byteorder")!.Open()).ReadToEnd());
                Assert.AreEqual("3\n", new StreamReader(zip.GetEntry("archive/version")!.Open()).ReadToEnd());
            }
            // Walk the local headers: every entry is stored (method 0) and its data starts on a 64-byte boundary.
            var bytes = File.ReadAllBytes(path);
            int pos = 0, entries = 0;
            while (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos)) == 0x04034b50)
            {
                Assert.AreEqual(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 8)), "stored");
                long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 22));
                int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 26));
                int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 28));
                if (size == 0xFFFFFFFF) size = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(pos + 30 + nameLen + 4));
                int dataStart = pos + 30 + nameLen + extraLen;
                Assert.AreEqual(0, dataStart % 64, $"entry {entries} ({Encoding.UTF8.GetString(bytes, pos + 30, nameLen)}) data at {dataStart}");
                pos = dataStart + (int)size;
                entries++;
            }
            Assert.AreEqual(11, entries);
            CollectionAssert.AreEqual(new[] { "weight", "bias" }, CheckpointReader.Read(path).Keys.ToList(), $"zip64={zip64} readable");
        }
    }

    [TestMethod]
    public void TorchSharpTensorsAreWrittenAsTheirValues()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "t.pth");
        using var x = ClaMP3.ML.Modeling.KeptScalarOps.Arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
        using var xt = x.t(); // non-contiguous
        using var ids = torch.tensor(new long[] { 5, -6 });
        // The core writers take plain tensors; TorchSharp ones go through CheckpointTensor.FromTensor (ClaMP3.ML.TorchSharp).
        PthWriter.Write(path, new Dictionary<string, object?> { ["xt"] = CheckpointTensor.FromTensor(xt), ["ids"] = CheckpointTensor.FromTensor(ids) });
        var sd = CheckpointReader.Read(path);
        CollectionAssert.AreEqual(new float[] { 0, 3, 1, 4, 2, 5 }, sd["xt"].ToFloat32());
        CollectionAssert.AreEqual(new long[] { 3, 2 }, sd["xt"].Shape);
        Assert.AreEqual(TensorDType.Int64, sd["ids"].DType);
        CollectionAssert.AreEqual(new long[] { 5, -6 }, sd["ids"].ToInt64());
    }

    [TestMethod]
    public void SafetensorsWriterReproducesTheFixtureFilesByteForByte()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var fixture in new[] { TestPaths.Fixture("mert-tiny", "model.safetensors"), TestPaths.Fixture("clamp3-tiny", "train", "text_audio", "grads.safetensors") })
        {
            var sd = CheckpointReader.Read(fixture);
            var copy = Path.Combine(tmp.Path, Path.GetFileName(fixture));
            Safetensors.Write(copy, sd, sd.Metadata.ToDictionary(kv => kv.Key, kv => (string)kv.Value!));
            CollectionAssert.AreEqual(File.ReadAllBytes(fixture), File.ReadAllBytes(copy), fixture);
        }
    }

    [TestMethod]
    public void SafetensorsRoundTripsEveryDTypeAndTorchSharpTensors()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "all.safetensors");
        var tensors = Enum.GetValues<TensorDType>().Select((d, i) =>
            new KeyValuePair<string, CheckpointTensor>($"t_{d}", new CheckpointTensor(d, new long[] { 2, 3 }, Enumerable.Range(i, 6 * d.ElementSize()).Select(b => (byte)(d == TensorDType.Bool ? b % 2 : b)).ToArray()))).ToList();
        Safetensors.Write(path, tensors);
        var back = CheckpointReader.Read(path);
        Assert.AreEqual(tensors.Count, back.Count);
        foreach (var (key, t) in tensors)
        {
            Assert.AreEqual(t.DType, back[key].DType, key);
            CollectionAssert.AreEqual(t.Data, back[key].Data, key);
        }
        Assert.AreEqual(0, (new FileInfo(path).Length - 8 - BitConverter.ToInt64(File.ReadAllBytes(path), 0) - tensors.Sum(t => t.Value.Data.Length)));

        using var w = ClaMP3.ML.Modeling.KeptScalarOps.Arange(12, dtype: torch.ScalarType.Float32).reshape(3, 4).t();
        Safetensors.Write(path, new[] { new KeyValuePair<string, torch.Tensor>("w", w) }, new Dictionary<string, string> { ["format"] = "pt" });
        var sd = CheckpointReader.Read(path);
        CollectionAssert.AreEqual(new long[] { 4, 3 }, sd["w"].Shape);
        CollectionAssert.AreEqual(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, sd["w"].ToFloat32());
        Assert.AreEqual("pt", sd.Metadata["format"]);
    }

    [TestMethod]
    public void WritesAreAtomic()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "ckpt.pth");
        PthWriter.Write(path, new Dictionary<string, object?> { ["epoch"] = 1L });
        PthWriter.Write(path, new Dictionary<string, object?> { ["epoch"] = 2L });
        Assert.AreEqual(2L, ((Dictionary<string, object?>)CheckpointReader.ReadPickle(path)!)["epoch"]);
        // A value that cannot be pickled fails before the old file is touched, and leaves no temporary file.
        Assert.ThrowsExactly<ArgumentException>(() => PthWriter.Write(path, new Dictionary<string, object?> { ["bad"] = new object() }));
        Assert.AreEqual(2L, ((Dictionary<string, object?>)CheckpointReader.ReadPickle(path)!)["epoch"]);
        CollectionAssert.AreEqual(new[] { "ckpt.pth" }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName).ToList());
    }
}
