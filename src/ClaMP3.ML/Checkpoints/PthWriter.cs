using System.Text;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Checkpoints;

/// <summary>
/// Writes what <c>torch.save(obj, path)</c> writes (zip format, torch ≥ 2.1 layout): <c>archive/data.pkl</c>
/// (protocol 2), <c>archive/byteorder</c> = "little", one <c>archive/data/N</c> per tensor (64-byte aligned,
/// uncompressed), <c>archive/version</c> = "3\n". The result loads with <c>torch.load(path, weights_only=True)</c>.
/// The file is written to a temporary name and renamed, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class PthWriter
{
    /// <summary>
    /// Writes nested plain values (see the mapping in <see cref="PickleWriter"/>: dictionaries, <see cref="StateDict"/> and
    /// <see cref="OrderedDictionary{TKey,TValue}"/> (→ OrderedDict), lists, object?[] / value tuples (→ tuple), numbers,
    /// strings, bools, null and <see cref="CheckpointTensor"/> (TorchSharp tensors: convert them with
    /// <c>CheckpointTensor.FromTensor</c> from ClaMP3.ML.TorchSharp)).
    /// E.g. <c>{"model": stateDict, "optimizer": …, "epoch": 3L, "min_eval_loss": 1.5}</c>.
    /// </summary>
    public static void Write(string path, object? value) => Write(path, value, forceZip64: false);

    internal static void Write(string path, object? value, bool forceZip64)
    {
        var pickler = new PickleWriter();
        var pickle = pickler.Pickle(value);
        AtomicFile.Write(path, stream =>
        {
            var zip = new StoredZipWriter(stream, forceZip64);
            zip.Add("archive/data.pkl", pickle);
            zip.Add("archive/byteorder", "little"u8);
            for (int i = 0; i < pickler.Storages.Count; i++)
            {
                var name = $"archive/data/{i}";
                zip.Add(name, pickler.Storages[i].Data);
            }
            zip.Add("archive/version", "3\n"u8);
            zip.Finish();
        });
    }
}
