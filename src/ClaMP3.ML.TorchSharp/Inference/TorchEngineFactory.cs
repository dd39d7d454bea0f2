using ClaMP3.ML.Inference.Engines;

namespace ClaMP3.ML.Inference;

/// <summary>Found by name by <see cref="Clamp3Engines"/> (<see cref="Clamp3Engines.TorchFactoryTypeName"/>): do not rename
/// or move it without changing that constant.</summary>
public sealed class TorchEngineFactory : IClamp3EngineFactory
{
    public IClamp3Engine CreateClamp3(Clamp3EmbedderOptions options) => TorchClamp3Engine.Load(options);
    public IMertEngine CreateMert(string modelDirectory, string device, bool allowNonFiniteWeights = false) =>
        TorchMertEngine.Load(modelDirectory, device, allowNonFiniteWeights);
}
