using System.IO.Compression;
using System.Text;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Inference;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>What a .pth declares is checked before it is believed: storage CRC-32s, compressed storages larger than
/// the tensors on them need, inflation beyond the file; and weights holding NaN or Inf are refused by name.</summary>
[TestClass]
public class CheckpointIntegrityTests
{
    [TestMethod]
    public void AStorageWhoseCrc32DoesNotMatchIsRefused()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "flipped.pth");
        var values = Enumerable.Range(0, 256).Select(i => i * 0.25f).ToArray();
        PthWriter.Write(path, new Dictionary<string, object?> { ["layer.weight"] = CheckpointTensor.FromFloat32(values, 16, 16) });
        Assert.AreEqual(25f, CheckpointReader.Read(path)["layer.weight"].ToFloat32()[100], 0f, "the untouched file reads");

        // Flip one bit inside the stored (uncompressed) storage: the zip directory's CRC-32 no longer matches.
        var bytes = File.ReadAllBytes(path);
        var needle = BitConverter.GetBytes(100 * 0.25f).Concat(BitConverter.GetBytes(101 * 0.25f)).ToArray();
        int at = bytes.AsSpan().IndexOf(needle);
        Assert.IsTrue(at > 0, "storage bytes found");
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "archive/data/0");
        StringAssert.Contains(e.Message, "CRC-32");
    }

    /// <summary>A zip whose <paramref name="storages"/> storage entries are deflated zeros: <paramref name="declaredElements"/>
    /// floats each from about a thousandth of their size, under tensors of <paramref name="viewElements"/>.</summary>
    private static string DeflatedCheckpoint(string folder, int declaredElements, int viewElements, int storages = 1)
    {
        string path = Path.Combine(folder, $"deflated-{declaredElements}-{viewElements}-{storages}.pth");
        var pickle = new HandPickle().Proto().EmptyDict();
        for (int i = 0; i < storages; i++)
            pickle.Str($"w{i}").Tensor("FloatStorage", $"{i}", declaredElements, 0, new long[] { viewElements }, new long[] { 1 }).SetItem();
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle.Stop().ToArray());
        var zeros = new byte[1 << 20];
        for (int i = 0; i < storages; i++)
        {
            using var s = zip.CreateEntry($"archive/data/{i}", CompressionLevel.SmallestSize).Open();
            long left = (long)declaredElements * 4;
            while (left > 0) { int n = (int)Math.Min(left, zeros.Length); s.Write(zeros, 0, n); left -= n; }
        }
        using (var s = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) s.Write(Encoding.ASCII.GetBytes("3\n"));
        return path;
    }

    [TestMethod]
    public void CompressedStoragesCannotInflateBeyondWhatTheTensorsNeedOrTheFileBacks()
    {
        using var tmp = TestPaths.NewTempDir();
        // 256 MiB declared for a 4-element tensor.
        string oversized = DeflatedCheckpoint(tmp.Path, 64 << 20, 4);
        Assert.IsTrue(new FileInfo(oversized).Length < 4 << 20, $"a small file: {new FileInfo(oversized).Length} bytes");
        AllocationProbe.Refused<InvalidDataException>(() => CheckpointReader.Read(oversized), "storage larger than its tensor", oversized, "archive/data/0");

        // 256 MiB that the tensor does address, from a file of a few hundred KiB: bounded by the file, not by the pickle.
        string bomb = DeflatedCheckpoint(tmp.Path, 64 << 20, 64 << 20);
        AllocationProbe.Refused<InvalidDataException>(() => CheckpointReader.Read(bomb), "deflated storage", bomb, "inflate");

        // Many storages, each small enough on its own (64 MiB), that together would inflate far beyond the file.
        string many = DeflatedCheckpoint(tmp.Path, 16 << 20, 16 << 20, storages: 8);
        AllocationProbe.Refused<InvalidDataException>(() => CheckpointReader.Read(many), "many deflated storages", many, "compressed entries");

        // A small compressed storage that the tensor needs still reads (compression itself is not an error).
        string small = DeflatedCheckpoint(tmp.Path, 1024, 1024);
        Assert.AreEqual(1024, CheckpointReader.Read(small)["w0"].ElementCount);
    }

    [TestMethod]
    public void NonFiniteWeightsAreRefusedNamingTheTensorUnlessAllowed()
    {
        using var tmp = TestPaths.NewTempDir();
        foreach (var (bad, dtype) in new[] { (float.NaN, TensorDType.Float32), (float.PositiveInfinity, TensorDType.Float32), (float.NegativeInfinity, TensorDType.BFloat16), (float.NaN, TensorDType.Float16) })
        {
            var values = new float[1000];
            values[777] = bad;
            var tensor = CheckpointTensor.FromFloat32(values, 10, 100);
            if (dtype != TensorDType.Float32)
            {
                var data = dtype == TensorDType.BFloat16
                    ? values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >> 16))).ToArray()
                    : values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
                tensor = new CheckpointTensor(dtype, new long[] { 10, 100 }, data);
            }
            string path = Path.Combine(tmp.Path, $"bad-{dtype}-{bad}.pth");
            PthWriter.Write(path, new Dictionary<string, object?>
            {
                ["fine.weight"] = CheckpointTensor.FromFloat32(new float[] { 1, 2 }, 2),
                ["encoder.layer.3.weight"] = tensor,
            });
            var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path), $"{dtype} {bad}");
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "'encoder.layer.3.weight'");
            StringAssert.Contains(e.Message, "element 777");
            Assert.AreEqual(2, CheckpointReader.Read(path, allowNonFinite: true).Count, "explicitly allowed");
        }
    }

    [TestMethod]
    public void AClamp3CheckpointWithNaNWeightsIsNotLoadedForEmbedding()
    {
        using var tmp = TestPaths.NewTempDir();
        var stateDict = CheckpointReader.Read(TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth"));
        string victim = stateDict.Keys.Single(k => k.EndsWith("symbolic_proj.weight", StringComparison.Ordinal)); // used by scores
        var tensors = stateDict.ToDictionary(kv => kv.Key, kv =>
        {
            if (kv.Key != victim) return (object?)kv.Value;
            var values = kv.Value.ToFloat32();
            values[3] = float.NaN;
            return CheckpointTensor.FromFloat32(values, kv.Value.Shape);
        });
        string path = Path.Combine(tmp.Path, "clamp3_tiny.pth");
        PthWriter.Write(path, new Dictionary<string, object?> { ["model"] = tensors, ["epoch"] = 1L });
        File.Copy(TestPaths.Fixture("clamp3-tiny", "config.json"), Path.Combine(tmp.Path, "config.json"));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => Clamp3Embedder.Load(new Clamp3EmbedderOptions(path)));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, $"'{victim}'");
        using var allowed = Clamp3Embedder.Load(new Clamp3EmbedderOptions(path) { AllowNonFiniteWeights = true });
        // Allowed on request, but its NaN embeddings are still never handed out silently.
        var score = File.ReadAllText(Directory.GetFiles(TestPaths.Fixture("clamp3-tiny", "inputs", "abc"), "*.abc").OrderBy(f => f, StringComparer.Ordinal).First());
        var thrown = Assert.ThrowsExactly<InvalidOperationException>(() => allowed.EmbedScore(score));
        StringAssert.Contains(thrown.Message, "non-finite");
    }

    [TestMethod]
    public void MertWeightsWithNaNAreRefusedNamingTheTensor()
    {
        using var tmp = TestPaths.NewTempDir();
        var stateDict = CheckpointReader.Read(Path.Combine(Mert.MertFixture.Dir, "pytorch_model.bin"));
        string victim = stateDict.Keys.First(k => stateDict[k].DType == TensorDType.Float32 && stateDict[k].ElementCount > 8);
        var tensors = stateDict.ToDictionary(kv => kv.Key, kv =>
        {
            if (kv.Key != victim) return (object?)kv.Value;
            var values = kv.Value.ToFloat32();
            values[5] = float.PositiveInfinity;
            return CheckpointTensor.FromFloat32(values, kv.Value.Shape);
        });
        File.Copy(Path.Combine(Mert.MertFixture.Dir, "config.json"), Path.Combine(tmp.Path, "config.json"));
        string weights = Path.Combine(tmp.Path, "pytorch_model.bin");
        PthWriter.Write(weights, tensors);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MertExtractor.Load(tmp.Path));
        StringAssert.Contains(e.Message, weights);
        StringAssert.Contains(e.Message, $"'{victim}'");
        using var allowed = MertExtractor.Load(tmp.Path, allowNonFiniteWeights: true);
    }
}
