using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling.Mert;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Inference;

/// <summary>The eager TorchSharp MERT engine: a <see cref="MusicHubertModel"/> on a device in eval mode; each call is one
/// forward pass under <c>no_grad</c> in its own dispose scope.</summary>
public sealed class TorchMertEngine : IMertEngine
{
    private readonly bool _ownsModel;

    public TorchMertEngine(MusicHubertModel model, string device = "cpu", bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        Device = TorchDevice.Parse(device);
        if (Device.type != DeviceType.CPU) model.to(Device);
        model.eval();
        Model = model;
        this._ownsModel = ownsModel;
    }

    /// <summary>Loads an HF MERT folder (see <see cref="MertPretrained.Load(string, string, bool)"/>).</summary>
    public static TorchMertEngine Load(string modelDirectory, string device = "cpu", bool allowNonFiniteWeights = false)
    {
        TorchDevice.Parse(device);
        return new TorchMertEngine(MertPretrained.Load(modelDirectory, device, allowNonFiniteWeights), device);
    }

    public MusicHubertModel Model { get; }
    public MertConfig Config => Model.Config;
    public torch.Device Device { get; }
    public string Description => $"torch {Device} float32";

    public float[] HiddenStateTimeMeans(float[] windows, int batch, int samples)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if ((long)batch * samples != windows.LongLength)
            throw new ArgumentException($"{batch} windows of {samples} samples need {(long)batch * samples} values, got {windows.LongLength}.", nameof(windows));
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(windows, new long[] { batch, samples });
        if (Device.type != DeviceType.CPU) input = input.to(Device);
        return Model.HiddenStateTimeMeans(input).cpu().contiguous().data<float>().ToArray(); // (L, B, H)
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
