using System.IO.Compression;
using ClaMP3.ML.Checkpoints;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>Hostile and broken files: refused with a message naming the file and the cause, nothing executed.</summary>
[TestClass]
public class CheckpointSafetyTests
{
    /// <summary>pickle.dumps of an object whose __reduce__ is (posix.system, ("touch MARKER",)).</summary>
    private static byte[] SystemCallPickle(string marker, string module = "posix", string name = "system") =>
        new HandPickle().Proto().Global(module, name).Mark().Str($"touch {marker}").Tuple().Reduce().Stop().ToArray();

    [TestMethod]
    public void MaliciousGlobalInsidePthIsRefusedAndNotRun()
    {
        using var tmp = TestPaths.NewTempDir();
        var marker = Path.Combine(tmp.Path, "pwned");
        var path = Path.Combine(tmp.Path, "evil.pth");
        HandPickle.WriteZip(path, SystemCallPickle(marker), new Dictionary<string, byte[]>());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "posix.system");
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.ReadPickle(path));
        StringAssert.Contains(e2.Message, "posix.system");
        Assert.IsFalse(File.Exists(marker), "the command must not have run");
    }

    [TestMethod]
    public void MaliciousPlainPickleIsRefusedAndNotRun()
    {
        using var tmp = TestPaths.NewTempDir();
        var marker = Path.Combine(tmp.Path, "pwned");
        var path = Path.Combine(tmp.Path, "evil.pkl");
        File.WriteAllBytes(path, SystemCallPickle(marker));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "posix.system");
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    public void OtherDangerousConstructsAreRefusedByName()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "evil.pth");
        void Refused(byte[] pickle, string expected)
        {
            HandPickle.WriteZip(path, pickle, new Dictionary<string, byte[]>());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path));
            StringAssert.Contains(e.Message, expected);
            StringAssert.Contains(e.Message, path);
            File.Delete(path);
        }
        Refused(SystemCallPickle("x", "builtins", "eval"), "builtins.eval");
        Refused(SystemCallPickle("x", "os", "system"), "os.system");
        Refused(SystemCallPickle("x", "torch", "load"), "torch.load");
        // Protocol 4 STACK_GLOBAL names the callable with two strings on the stack.
        Refused(new HandPickle().Proto(4).Str("subprocess").Str("call").Op(0x93).Stop().ToArray(), "subprocess.call");
        // INST / OBJ build arbitrary instances and are never part of a state dict.
        Refused(new HandPickle().Proto().Mark().Op('i').Raw("os\nsystem\n"u8.ToArray()).Stop().ToArray(), "0x69");
        Refused(new HandPickle().Proto().Mark().Op('o').Stop().ToArray(), "0x6f");
        // Calling a non-callable whitelisted global (a storage class) is refused too.
        Refused(new HandPickle().Proto().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop().ToArray(), "torch.FloatStorage");
    }

    [TestMethod]
    public void MissingFileNamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-checkpoint-" + Guid.NewGuid().ToString("N") + ".pth");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => CheckpointReader.Read(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void TruncatedAndForeignFilesNameThePath()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "bad.pth");
        var full = File.ReadAllBytes(TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth"));
        foreach (var length in new[] { 0, 3, 100, full.Length / 2, full.Length - 10 })
        {
            File.WriteAllBytes(path, full[..length]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path), $"length {length}");
            StringAssert.Contains(e.Message, path, $"length {length}");
        }
        File.WriteAllText(path, "just some text, not a checkpoint");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path)).Message, path);

        var st = File.ReadAllBytes(TestPaths.Fixture("mert-tiny", "model.safetensors"));
        var stPath = Path.Combine(tmp.Path, "bad.safetensors");
        File.WriteAllBytes(stPath, st[..^100]);
        var se = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(stPath));
        StringAssert.Contains(se.Message, stPath);
        StringAssert.Contains(se.Message, "truncated");
    }

    [TestMethod]
    public void ZipWithoutPickleOrWithoutStorageEntryNamesWhatIsMissing()
    {
        using var tmp = TestPaths.NewTempDir();
        var noPickle = Path.Combine(tmp.Path, "nopickle.pth");
        using (var zip = ZipFile.Open(noPickle, ZipArchiveMode.Create)) zip.CreateEntry("archive/version");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(noPickle));
        StringAssert.Contains(e.Message, noPickle);
        StringAssert.Contains(e.Message, "data.pkl");

        var noData = Path.Combine(tmp.Path, "nodata.pth");
        var p = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "7", 2, 0, new long[] { 2 }, new long[] { 1 }).SetItem().Stop();
        HandPickle.WriteZip(noData, p.ToArray(), new Dictionary<string, byte[]>());
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(noData));
        StringAssert.Contains(e2.Message, noData);
        StringAssert.Contains(e2.Message, "archive/data/7");

        // A view that reaches past its storage is refused before any data is read.
        var outside = Path.Combine(tmp.Path, "outside.pth");
        var q = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 2, 1, new long[] { 2 }, new long[] { 1 }).SetItem().Stop();
        HandPickle.WriteZip(outside, q.ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[8] });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(outside)).Message, "on storage '0' reaches past the end");

        // A stride-0 view claiming a huge size, and sizes whose product overflows.
        var huge = Path.Combine(tmp.Path, "huge.pth");
        var h = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1, 0, new long[] { int.MaxValue, 4 }, new long[] { 0, 0 }).SetItem().Stop();
        HandPickle.WriteZip(huge, h.ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[4] });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(huge)).Message, "larger than one .NET array");
        var h2 = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1, 0, new long[] { int.MaxValue, int.MaxValue, int.MaxValue }, new long[] { 0, 0, 0 }).SetItem().Stop();
        File.Delete(huge);
        HandPickle.WriteZip(huge, h2.ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[4] });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(huge)).Message, "impossible size");

        // A storage entry shorter than the pickle says.
        var shortData = Path.Combine(tmp.Path, "short.pth");
        var r = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 4, 0, new long[] { 4 }, new long[] { 1 }).SetItem().Stop();
        HandPickle.WriteZip(shortData, r.ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[8] });
        var e3 = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(shortData));
        StringAssert.Contains(e3.Message, "archive/data/0");
    }

    [TestMethod]
    public void MalformedSafetensorsHeadersAreRefusedByName()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "bad.safetensors");
        void Refused(string header, string expected)
        {
            var h = System.Text.Encoding.UTF8.GetBytes(header);
            File.WriteAllBytes(path, BitConverter.GetBytes((long)h.Length).Concat(h).Concat(new byte[16]).ToArray());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path), header);
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, expected);
        }
        Refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", "'w'");
        Refused("{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "C64");
        Refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", "truncated");
        Refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,16]}}", "'w'");
        Refused("{\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}}", "'w'");
        Refused("{\"w\":", "JSON");
    }

    [TestMethod]
    public void BigEndianCheckpointIsRefused()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "big.pth");
        var p = new HandPickle().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1, 0, new long[] { 1 }, new long[] { 1 }).SetItem().Stop();
        HandPickle.WriteZip(path, p.ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[4] }, byteOrder: "big");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "big");
    }

    [TestMethod]
    public void SelfReferencingAndDeeplyNestedPicklesFailCleanly()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "deep.pkl");
        // 100000 nested lists: ] ] ] ... then APPEND each into its parent.
        var deep = new HandPickle().Proto();
        for (int i = 0; i < 100_000; i++) deep.Op(']');
        for (int i = 0; i < 99_999; i++) deep.Op('a');
        File.WriteAllBytes(path, deep.Stop().ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.ReadPickle(path)).Message, "deeper");

        // l = []; l.append(l): a cycle, which must not hang.
        File.WriteAllBytes(path, new HandPickle().Proto().Op(']').Op('q').Byte(0).Op('h').Byte(0).Op('a').Stop().ToArray());
        var list = (List<object?>)CheckpointReader.ReadPickle(path)!;
        Assert.AreSame(list, list[0]);
    }
}
