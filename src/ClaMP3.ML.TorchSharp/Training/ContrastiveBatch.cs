using ClaMP3.ML.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>A padded batch of text–music pairs (row i of the text matches row i of the music), as the official
/// <c>collate_batch</c> builds it. The batch owns its tensors.</summary>
public sealed class ContrastiveBatch : IDisposable
{
    /// <param name="textIds">[B, Lt] int64 XLM-R ids, padded with the pad id</param>
    /// <param name="textMask">[B, Lt] float32, 1 real / 0 pad</param>
    /// <param name="musicInputs">[B, S, patch_size] int64 patches (symbolic) or [B, T, audio dim] float32 MERT rows (audio)</param>
    /// <param name="musicMask">[B, S or T] float32</param>
    public ContrastiveBatch(Modality musicModality, Tensor textIds, Tensor textMask, Tensor musicInputs, Tensor musicMask)
    {
        if (musicModality == Modality.Text) throw new ArgumentException("The music side of a batch is Symbolic or Audio.", nameof(musicModality));
        long b = textIds.shape[0];
        if (textMask.shape[0] != b || musicInputs.shape[0] != b || musicMask.shape[0] != b)
            throw new ArgumentException($"Batch tensors disagree on the batch size: text ids {textIds.shape[0]}, text mask {textMask.shape[0]}, music {musicInputs.shape[0]}, music mask {musicMask.shape[0]}.");
        MusicModality = musicModality;
        TextIds = textIds; TextMask = textMask; MusicInputs = musicInputs; MusicMask = musicMask;
    }

    public Modality MusicModality { get; }
    public Tensor TextIds { get; }
    public Tensor TextMask { get; }
    public Tensor MusicInputs { get; }
    public Tensor MusicMask { get; }
    public int Count => (int)TextIds.shape[0];

    /// <summary>The rows <paramref name="rows"/> as a new batch (new tensors).</summary>
    public ContrastiveBatch Select(long[] rows)
    {
        using var scope = NewDisposeScope();
        var index = tensor(rows, dtype: ScalarType.Int64, device: TextIds.device);
        var result = new ContrastiveBatch(MusicModality, TextIds.index_select(0, index), TextMask.index_select(0, index),
            MusicInputs.index_select(0, index), MusicMask.index_select(0, index));
        return result.DetachFromDisposeScope();
    }

    /// <summary>A copy on <paramref name="device"/> (audio inputs and masks converted to <paramref name="floatType"/>).</summary>
    public ContrastiveBatch To(Device device, ScalarType floatType = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var result = new ContrastiveBatch(MusicModality, TextIds.to(device), TextMask.to(floatType, device),
            MusicModality == Modality.Audio ? MusicInputs.to(floatType, device) : MusicInputs.to(device), MusicMask.to(floatType, device));
        return result.DetachFromDisposeScope();
    }

    /// <summary>Takes the four tensors out of the dispose scope they were made in (the batch owns them); returns this.</summary>
    internal ContrastiveBatch DetachFromDisposeScope()
    {
        TextIds.DetachFromDisposeScope(); TextMask.DetachFromDisposeScope();
        MusicInputs.DetachFromDisposeScope(); MusicMask.DetachFromDisposeScope();
        return this;
    }

    public void Dispose()
    {
        TextIds.Dispose(); TextMask.Dispose(); MusicInputs.Dispose(); MusicMask.Dispose();
    }
}
