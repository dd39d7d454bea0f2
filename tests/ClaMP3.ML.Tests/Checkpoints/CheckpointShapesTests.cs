using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Loading;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary><see cref="CheckpointReader.ReadShapes"/>: the state dict's shapes from the pickle or the safetensors header
/// alone, equal to what a full read gives, without reading (or checking) a tensor's values.</summary>
[TestClass]
public sealed class CheckpointShapesTests
{
    [TestMethod]
    public void ShapesEqualAFullReadForPthAndSafetensors()
    {
        using var tmp = TestPaths.NewTempDir();
        string pth = TestPaths.Fixture("clamp3-tiny", "clamp3_tiny.pth");
        var full = CheckpointReader.Read(pth);
        string safetensors = Path.Combine(tmp.Path, "tiny.safetensors");
        Safetensors.Write(safetensors, full);
        foreach (var path in new[] { pth, safetensors })
        {
            var shapes = CheckpointReader.ReadShapes(path);
            CollectionAssert.AreEquivalent(full.Keys.ToArray(), shapes.Keys.ToArray(), path);
            foreach (var (name, tensor) in full) CollectionAssert.AreEqual(tensor.Shape, shapes[name], $"{path}: {name}");
        }
        // What the config resolver infers from is this shapes-only read.
        CollectionAssert.AreEquivalent(full.Keys.ToArray(), Clamp3ConfigResolver.ReadShapes(pth).Keys.ToArray());
    }

    [TestMethod]
    public void ValuesAreNeitherReadNorChecked()
    {
        // A NaN weight: the full read refuses it (naming the tensor), the shapes read does not look at it.
        using var tmp = TestPaths.NewTempDir();
        var tensors = new StateDict([new("a.weight", CheckpointTensor.FromFloat32([1f, float.NaN, 3f, 4f], 2, 2)), new("a.bias", CheckpointTensor.FromFloat32([0f, 1f], 2))]);
        string pth = Path.Combine(tmp.Path, "nan.pth"), safetensors = Path.Combine(tmp.Path, "nan.safetensors");
        PthWriter.Write(pth, new Dictionary<string, object?> { ["model"] = tensors, ["epoch"] = 3L });
        Safetensors.Write(safetensors, tensors);
        foreach (var path in new[] { pth, safetensors })
        {
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => CheckpointReader.Read(path)).Message, "a.weight");
            var shapes = CheckpointReader.ReadShapes(path);
            CollectionAssert.AreEqual(new long[] { 2, 2 }, shapes["a.weight"], path);
            CollectionAssert.AreEqual(new long[] { 2 }, shapes["a.bias"], path);
        }
    }
}
