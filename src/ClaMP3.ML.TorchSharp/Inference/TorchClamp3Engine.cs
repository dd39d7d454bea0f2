using ClaMP3.ML.Inference.Engines;
using ClaMP3.ML.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Inference;

/// <summary>The eager TorchSharp engine: a <see cref="Clamp3Model"/> on a device, in float32 or bfloat16, eval mode.
/// Each <see cref="Run"/> is one forward pass under <c>no_grad</c> in its own dispose scope.</summary>
public sealed class TorchClamp3Engine : IClamp3Engine
{
    private readonly bool _ownsModel;
    private readonly ScalarType _computeType;

    /// <summary>Moves <paramref name="model"/> to <paramref name="device"/> and <paramref name="precision"/> and puts it in
    /// eval mode. The engine disposes the model when <paramref name="ownsModel"/>.</summary>
    public TorchClamp3Engine(Clamp3Model model, string device = "cpu", Clamp3Precision precision = Clamp3Precision.Float32, bool ownsModel = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        Device = TorchDevice.Parse(device);
        _computeType = precision == Clamp3Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (precision == Clamp3Precision.BFloat16) model.to(ScalarType.BFloat16);
        model.to(Device);
        model.eval();
        Model = model;
        Precision = precision;
        this._ownsModel = ownsModel;
    }

    /// <summary>Reads the checkpoint and config named by <paramref name="options"/> (see <see cref="Clamp3ModelLoader.Load"/>).</summary>
    public static TorchClamp3Engine Load(Clamp3EmbedderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TorchDevice.Parse(options.Device); // a bad device is reported before the checkpoint is read
        var model = Clamp3ModelLoader.Load(options.CheckpointPath, options.ConfigPath, options.AllowNonFiniteWeights).Model;
        try
        {
            return new TorchClamp3Engine(model, options.Device, options.Precision);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The network (on <see cref="Device"/>, eval mode), for training, tests and tensor-level callers.</summary>
    public Clamp3Model Model { get; }
    public Clamp3Config Config => Model.Config;
    public torch.Device Device { get; }
    public Clamp3Precision Precision { get; }
    public string Description => $"torch {Device} {(Precision == Clamp3Precision.BFloat16 ? "bfloat16" : "float32")}";

    public float[] Run(EncoderBatch batch, bool global)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        long rows = batch.Rows, width = batch.Width;
        var mask = tensor(batch.Mask, new[] { rows, width }).to(Device);
        var output = batch.Modality switch
        {
            Modality.Text => Model.GetTextFeatures(tensor(Required(batch.Ids, batch), new[] { rows, width }).to(Device), mask, global),
            Modality.Symbolic => Model.GetSymbolicFeatures(
                tensor(Required(batch.Ids, batch), new[] { rows, width, Config.PatchSize }).to(Device), mask, global),
            Modality.Audio => Model.GetAudioFeatures(
                tensor(Required(batch.Features, batch), new[] { rows, width, Config.AudioFeatureDim }).to(Device).to(_computeType), mask, global),
            _ => throw new ArgumentOutOfRangeException(nameof(batch), batch.Modality, "unknown modality"),
        };
        return output.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private static T Required<T>(T? values, EncoderBatch batch) where T : class =>
        values ?? throw new ArgumentException($"A {batch.Modality} batch needs {(batch.Modality == Modality.Audio ? "Features" : "Ids")}.", nameof(batch));

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
