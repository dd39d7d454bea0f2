using System.Text.Json.Nodes;
using ClaMP3.ML.Checkpoints;

namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>
/// Compares our .NET values with the JSON that <see cref="Encoder"/> (run by python3-torch) prints for a Python value:
/// tensors as {"tensor": dtype, "shape", "values"}, dict/OrderedDict/tuple tagged, float as {"float": x}.
/// </summary>
internal static class PyValues
{
    public const string Encoder = """
        import torch, json, collections
        def enc(v):
            if isinstance(v, torch.Tensor):
                return {"tensor": str(v.dtype), "shape": list(v.shape), "values": v.detach().double().flatten().tolist()}
            if isinstance(v, collections.OrderedDict): return {"odict": [[k, enc(x)] for k, x in v.items()]}
            if isinstance(v, dict): return {"dict": [[k, enc(x)] for k, x in v.items()]}
            if isinstance(v, tuple): return {"tuple": [enc(x) for x in v]}
            if isinstance(v, list): return [enc(x) for x in v]
            if isinstance(v, float): return {"float": v}
            return v

        def load_weights_only(p):
            import pickle, pickletools, zipfile
            try:
                return torch.load(p, weights_only=True)
            except pickle.UnpicklingError as e:
                if int(torch.__version__.split(".")[0]) >= 2 or "Unsupported operand 71" not in str(e): raise
            # torch 1.x's weights-only unpickler lacks BINFLOAT (added in 2.0), which torch.save itself writes for
            # every Python float: check the globals against its allow-list instead, then load normally.
            allowed = torch._weights_only_unpickler._get_allowed_globals()
            z = zipfile.ZipFile(p)
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            for op, arg, pos in pickletools.genops(z.read(pkl)):
                if op.name == "GLOBAL": assert arg.replace(" ", ".") in allowed, arg
            return torch.load(p, weights_only=False)

        """;

    private static string TorchName(TensorDType d) => d switch
    {
        TensorDType.Float32 => "torch.float32", TensorDType.Float64 => "torch.float64", TensorDType.Float16 => "torch.float16",
        TensorDType.BFloat16 => "torch.bfloat16", TensorDType.Int64 => "torch.int64", TensorDType.Int32 => "torch.int32",
        TensorDType.Int16 => "torch.int16", TensorDType.Int8 => "torch.int8", TensorDType.UInt8 => "torch.uint8", TensorDType.Bool => "torch.bool",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    /// <summary>Asserts that <paramref name="ours"/> equals the Python value <paramref name="py"/> exactly (tensors element by element).</summary>
    public static void AssertSame(object? ours, JsonNode? py, string path, bool orderedDictExpected = false)
    {
        switch (ours)
        {
            case CheckpointTensor t:
            {
                var o = py as JsonObject ?? throw new AssertFailedException($"{path}: Python has {py?.ToJsonString()}, we have a tensor");
                Assert.AreEqual(TorchName(t.DType), (string?)o["tensor"], path);
                CollectionAssert.AreEqual(o["shape"]!.AsArray().Select(x => (long)x!).ToArray(), t.Shape, path + " shape");
                var expected = o["values"]!.AsArray().Select(x => (double)x!).ToArray();
                var actual = t.DType is TensorDType.Int64 or TensorDType.Int32 or TensorDType.Int16 or TensorDType.Int8 or TensorDType.UInt8 or TensorDType.Bool
                    ? t.ToInt64().Select(x => (double)x).ToArray()
                    : t.DType == TensorDType.Float64 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(t.Data).ToArray()
                    : t.ToFloat32().Select(x => (double)x).ToArray();
                Assert.AreEqual(expected.Length, actual.Length, path);
                for (int i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], actual[i], $"{path}[{i}]");
                break;
            }
            case Dictionary<string, object?> d:
                AssertPairs(d.Select(kv => ((object)kv.Key, kv.Value)).ToList(), py, path, orderedDictExpected);
                break;
            case Dictionary<object, object?> d:
                AssertPairs(d.Select(kv => (kv.Key, kv.Value)).ToList(), py, path, orderedDictExpected);
                break;
            case object?[] tuple:
            {
                var items = (py as JsonObject)?["tuple"]?.AsArray() ?? throw new AssertFailedException($"{path}: expected a tuple, Python has {py?.ToJsonString()}");
                Assert.AreEqual(items.Count, tuple.Length, path);
                for (int i = 0; i < tuple.Length; i++) AssertSame(tuple[i], items[i], $"{path}[{i}]");
                break;
            }
            case List<object?> list:
            {
                var items = py as JsonArray ?? throw new AssertFailedException($"{path}: expected a list, Python has {py?.ToJsonString()}");
                Assert.AreEqual(items.Count, list.Count, path);
                for (int i = 0; i < list.Count; i++) AssertSame(list[i], items[i], $"{path}[{i}]");
                break;
            }
            case double x: Assert.AreEqual((double)py!["float"]!, x, path); break;
            case long x: Assert.AreEqual((long)py!, x, path); break;
            case bool x: Assert.AreEqual((bool)py!, x, path); break;
            case string x: Assert.AreEqual((string?)py, x, path); break;
            case null: Assert.IsNull(py, path); break;
            default: Assert.Fail($"{path}: unexpected {ours.GetType().Name}"); break;
        }
    }

    private static void AssertPairs(List<(object Key, object? Value)> ours, JsonNode? py, string path, bool orderedDictExpected)
    {
        var o = py as JsonObject ?? throw new AssertFailedException($"{path}: expected a dict, Python has {py?.ToJsonString()}");
        var pairs = (o["dict"] ?? o["odict"])!.AsArray();
        if (orderedDictExpected) Assert.IsNotNull(o["odict"], $"{path} is an OrderedDict in Python");
        Assert.AreEqual(pairs.Count, ours.Count, $"{path}: entry count");
        for (int i = 0; i < ours.Count; i++)
        {
            var pk = pairs[i]![0]!;
            Assert.AreEqual(pk.ToJsonString(), ours[i].Key is string s ? JsonValue.Create(s).ToJsonString() : ours[i].Key.ToString(), $"{path}: key {i}");
            AssertSame(ours[i].Value, pairs[i]![1], $"{path}.{ours[i].Key}");
        }
    }
}
