using ClaMP3.Cli;
using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.IO;
using ClaMP3.ML.Onnx;
using ClaMP3.ML.Tests.Mert;
using ClaMP3.ML.Tests.Model;

namespace ClaMP3.ML.Tests.Onnx;

/// <summary><c>clamp3 export onnx</c> + <c>clamp3 embed --onnx</c> / <c>clamp3 mert --onnx</c> end to end on the tiny
/// fixtures, export determinism, and the refusals (bad checkpoints, altered folders, another checkpoint).</summary>
[TestClass]
public sealed class OnnxCliTests
{
    /// <summary>A <c>clamp3</c> command line through the executable's entry point.</summary>
    private static (int Code, string Out, string Err) Clamp3(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = Clamp3Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static (int Code, string Out, string Err) Export(string output, string? checkpoint, string? config = null, string? mert = null, string precision = "fp32") =>
        Clamp3(["export", "onnx", output, "--precision", precision,
            .. checkpoint is null ? Array.Empty<string>() : ["--checkpoint", checkpoint],
            .. config is null ? Array.Empty<string>() : ["--config", config],
            .. mert is null ? Array.Empty<string>() : ["--mert", mert]]);

    private static (int Code, string Out, string Err) Embed(string input, string output, string onnx, bool global, string? checkpoint = null) =>
        Clamp3(["embed", input, output, "--onnx", onnx, "--threads", "1", "--batch-size", "4",
            .. global ? ["--global"] : Array.Empty<string>(),
            .. checkpoint is null ? Array.Empty<string>() : ["--checkpoint", checkpoint]]);

    [TestMethod]
    public void EmbedThroughOnnxReproducesEveryCaseGlobalAndSequence()
    {
        using var temp = TestPaths.NewTempDir();
        var model = Path.Combine(temp.Path, "onnx");
        var exported = Export(model, Clamp3Fixture.Checkpoint);
        Assert.AreEqual(0, exported.Code, exported.Err);
        var cmp = new Clamp3Fixture.Comparison();
        foreach (var global in new[] { true, false })
        {
            var output = Path.Combine(temp.Path, global ? "global" : "seq");
            var run = Embed(Path.Combine(Clamp3Fixture.Dir, "inputs"), output, model, global, Clamp3Fixture.Checkpoint);
            Assert.AreEqual(0, run.Code, run.Err);
            StringAssert.Contains(run.Out, "onnx cpu float32");
            foreach (var c in Clamp3Fixture.Cases)
            {
                var relative = Path.GetRelativePath("inputs", c.Input);
                var file = Path.Combine(output, Path.GetDirectoryName(relative)!, Path.GetFileNameWithoutExtension(relative) + ".npy");
                Assert.IsTrue(File.Exists(file), $"{c}: no output {file}; stderr: {run.Err}");
                cmp.Add($"{c}.{(global ? "global" : "seq")}", Clamp3Fixture.Expected(c, global ? "global" : "seq").ToFloat32(), NpyFile.Read(file).ToFloat32());
            }
        }
        cmp.AssertAll("clamp3 embed --onnx vs clamp3-tiny");
    }

    [TestMethod]
    public void MertCommandThroughOnnxMatchesTheOfficialFeatures()
    {
        using var temp = TestPaths.NewTempDir();
        var model = Path.Combine(temp.Path, "onnx");
        Assert.AreEqual(0, Export(model, null, mert: MertFixture.Dir).Code);
        var input = MertFixture.Input("tune44k_stereo16.wav");
        var mert = Clamp3("mert", input, temp.Path, "--onnx", model, "--threads", "1", "--batch", "2");
        Assert.AreEqual(0, mert.Code, mert.Err);
        var actual = NpyFile.Read(Path.Combine(temp.Path, "tune44k_stereo16.npy"));
        var (expected, shape) = MertFixture.Npy("tune44k_stereo16.mert.npy");
        MertFixture.AssertClose("clamp3 mert --onnx", expected, shape, actual.ToFloat32(), actual.Shape, MertFixture.Tolerance("mert"));
    }

    [TestMethod]
    public void ExportIsDeterministic()
    {
        using var temp = TestPaths.NewTempDir();
        string a = Path.Combine(temp.Path, "a"), b = Path.Combine(temp.Path, "b");
        foreach (var dir in new[] { a, b })
            Assert.AreEqual(0, Export(dir, Clamp3Fixture.Checkpoint, mert: MertFixture.Dir).Code);
        var files = Directory.GetFiles(a).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(files, Directory.GetFiles(b).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.IsTrue(files.Count >= 7, string.Join(", ", files));
        foreach (var f in files)
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, f!)), File.ReadAllBytes(Path.Combine(b, f!)), $"{f} differs between two exports");
    }

    [TestMethod]
    public void AlteredModelFileIsRefusedNamingIt()
    {
        using var temp = TestPaths.NewTempDir();
        var model = Path.Combine(temp.Path, "onnx");
        Assert.AreEqual(0, Export(model, Clamp3Fixture.Checkpoint).Code);
        var target = Path.Combine(model, "symbolic.onnx");
        var bytes = File.ReadAllBytes(target);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(target, bytes);
        var run = Embed(Path.Combine(Clamp3Fixture.Dir, "inputs", "text"), Path.Combine(temp.Path, "out"), model, true);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, target);
        StringAssert.Contains(run.Err, "SHA-256");
        Assert.AreEqual(1, run.Err.Trim().Split('\n').Length, run.Err);

        File.WriteAllBytes(target, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        run = Embed(Path.Combine(Clamp3Fixture.Dir, "inputs", "text"), Path.Combine(temp.Path, "out"), model, true);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, target);

        File.WriteAllText(Path.Combine(model, "manifest.json"), "{ \"format\": ");
        run = Embed(Path.Combine(Clamp3Fixture.Dir, "inputs", "text"), Path.Combine(temp.Path, "out"), model, true);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, Path.Combine(model, "manifest.json"));
    }

    [TestMethod]
    public void FolderFromAnotherCheckpointIsRefused()
    {
        using var temp = TestPaths.NewTempDir();
        var model = Path.Combine(temp.Path, "onnx");
        Assert.AreEqual(0, Export(model, Clamp3Fixture.Checkpoint).Code);
        // The same tensors saved as safetensors: another file, so another SHA-256.
        var other = Path.Combine(temp.Path, "other.safetensors");
        Safetensors.Write(other, CheckpointReader.Read(Clamp3Fixture.Checkpoint));
        var run = Embed(Path.Combine(Clamp3Fixture.Dir, "inputs", "text"), Path.Combine(temp.Path, "out"), model, true, checkpoint: other);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, "another checkpoint");
        StringAssert.Contains(run.Err, other);
        Assert.IsFalse(Directory.Exists(Path.Combine(temp.Path, "out")) && Directory.EnumerateFiles(Path.Combine(temp.Path, "out"), "*", SearchOption.AllDirectories).Any());
    }

    [TestMethod]
    public void UnsupportedOrMismatchedCheckpointsNameTheTensor()
    {
        using var temp = TestPaths.NewTempDir();
        var state = CheckpointReader.Read(Clamp3Fixture.Checkpoint);

        // A NaN weight: refused with the tensor's name.
        const string poisoned = "audio_model.encoder.layer.1.output.dense.weight";
        var withNaN = Path.Combine(temp.Path, "nan.safetensors");
        Safetensors.Write(withNaN, state.Select(kv => kv.Key != poisoned ? kv : new(kv.Key, WithValue(kv.Value, float.NaN))));
        var run = Export(Path.Combine(temp.Path, "o1"), withNaN, Clamp3Fixture.Config);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, poisoned);
        StringAssert.Contains(run.Err, "non-finite");

        // A tensor whose shape does not fit the config.
        const string cut = "symbolic_model.base.encoder.layer.0.intermediate.dense.weight";
        var misshaped = Path.Combine(temp.Path, "shape.safetensors");
        Safetensors.Write(misshaped, state.Select(kv => kv.Key != cut ? kv : new(kv.Key, CheckpointTensor.FromFloat32(new float[32 * 60], 60, 32))));
        run = Export(Path.Combine(temp.Path, "o2"), misshaped, Clamp3Fixture.Config);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, cut);

        // An integer tensor where a weight belongs.
        const string ints = "text_proj.bias";
        var integer = Path.Combine(temp.Path, "int.safetensors");
        Safetensors.Write(integer, state.Select(kv => kv.Key != ints ? kv : new(kv.Key, new CheckpointTensor(TensorDType.Int32, kv.Value.Shape, new byte[kv.Value.ElementCount * 4]))));
        run = Export(Path.Combine(temp.Path, "o3"), integer, Clamp3Fixture.Config);
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, ints);

        // A MERT model passed as the CLaMP 3 checkpoint.
        run = Export(Path.Combine(temp.Path, "o4"), Path.Combine(MertFixture.Dir, "model.safetensors"));
        Assert.AreEqual(2, run.Code);
        StringAssert.Contains(run.Err, "not a CLaMP 3 checkpoint");
        foreach (var o in new[] { "o1", "o2", "o3", "o4" })
            Assert.IsFalse(File.Exists(Path.Combine(temp.Path, o, "manifest.json")), $"{o}: a refused export left a manifest");
    }

    private static CheckpointTensor WithValue(CheckpointTensor t, float value)
    {
        var values = t.ToFloat32();
        values[values.Length / 3] = value;
        return CheckpointTensor.FromFloat32(values, t.Shape);
    }
}
