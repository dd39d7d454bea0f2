namespace ClaMP3.ML.Inference.Engines;

/// <summary>Builds engines from checkpoints. The TorchSharp assembly implements this; the core finds it by name so
/// that it never references TorchSharp (see <see cref="Clamp3Engines"/>).</summary>
public interface IClamp3EngineFactory
{
    /// <summary>Reads the checkpoint (and config) named by <paramref name="options"/> and builds the eager model on its device and precision.</summary>
    IClamp3Engine CreateClamp3(Clamp3EmbedderOptions options);
    /// <summary>Loads an HF MERT folder (or a weights file inside one) on <paramref name="device"/>; weights holding NaN or
    /// ±Inf are refused (naming the tensor) unless <paramref name="allowNonFiniteWeights"/>.</summary>
    IMertEngine CreateMert(string modelDirectory, string device, bool allowNonFiniteWeights = false);
}

/// <summary>Picks the engine for a set of options: ONNX Runtime when <see cref="Clamp3ModelSource.OnnxDirectory"/> is set,
/// otherwise the TorchSharp engine of the ClaMP3.ML.TorchSharp assembly (found once, by name).</summary>
public static class Clamp3Engines
{
    /// <summary>The type the TorchSharp assembly provides (it has a public parameterless constructor).</summary>
    public const string TorchFactoryTypeName = "ClaMP3.ML.Inference.TorchEngineFactory, ClaMP3.ML.TorchSharp";

    private static readonly Lazy<IClamp3EngineFactory?> FoundTorch = new(FindTorch);
    private static IClamp3EngineFactory? _registered;

    /// <summary>Overrides the factory found by name (e.g. a host that loads the TorchSharp assembly itself).</summary>
    public static void RegisterTorch(IClamp3EngineFactory factory) => _registered = factory ?? throw new ArgumentNullException(nameof(factory));

    /// <summary>The TorchSharp factory, or an <see cref="InvalidOperationException"/> saying which package to reference.</summary>
    public static IClamp3EngineFactory Torch => _registered ?? FoundTorch.Value ?? throw new InvalidOperationException(
        "No CLaMP 3 engine can read a .pth/.safetensors checkpoint here: reference the ClaMP3.ML.TorchSharp package (plus a " +
        "native libtorch package) or give an ONNX folder (Clamp3EmbedderOptions.OnnxDirectory, clamp3 ... --onnx DIR).");

    public static IClamp3Engine Create(Clamp3EmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.OnnxDirectory is not null)
            return new Onnx.OnnxClamp3Engine(options.OnnxDirectory, options.Threads, Onnx.OnnxSessions.IsCuda(options.Device),
                string.IsNullOrEmpty(options.CheckpointPath) ? null : options.CheckpointPath);
        return Torch.CreateClamp3(options);
    }

    public static IMertEngine CreateMert(string modelDirectory, string device = "cpu", bool allowNonFiniteWeights = false) =>
        Torch.CreateMert(modelDirectory, device, allowNonFiniteWeights);

    private static IClamp3EngineFactory? FindTorch()
    {
        Type? type;
        try { type = Type.GetType(TorchFactoryTypeName, throwOnError: false); }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException) { type = null; }
        // Hosts that load assemblies by path (notebooks, plug-ins) may hold it outside the default name lookup.
        type ??= AppDomain.CurrentDomain.GetAssemblies()
            .FirstOrDefault(a => a.GetName().Name == "ClaMP3.ML.TorchSharp")
            ?.GetType(TorchFactoryTypeName[..TorchFactoryTypeName.IndexOf(',')]);
        return type is null ? null : (IClamp3EngineFactory?)Activator.CreateInstance(type);
    }
}
