using ClaMP3.ML.Checkpoints;
using ClaMP3.ML.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClaMP3.ML.Training;

/// <summary>Writes training checkpoints in the official layout (what <c>torch.save(checkpoint, path)</c> writes in the
/// training scripts): <c>{'model': OrderedDict(state dict, float32), 'optimizer': AdamW state_dict(), 'lr_sched':
/// LambdaLR state_dict(), 'epoch', 'best_epoch', 'min_eval_loss', 'modality': 'symbolic'|'audio'}</c>, plus
/// <c>'logit_scale'</c> when the temperature is learned. Loadable by <c>torch.load</c>, the official
/// <c>extract_clamp3.py</c>, <see cref="Inference.Clamp3ModelLoader"/> and <see cref="Clamp3Trainer"/> (resume).</summary>
public static class Clamp3TrainingCheckpoint
{
    public static void Write(string path, Clamp3Model model, IEnumerable<KeyValuePair<string, CheckpointTensor>> extraBuffers,
        Dictionary<string, object?> optimizerState, Dictionary<string, object?> schedulerState, int epoch, int bestEpoch,
        double minEvalLoss, Modality modality, Parameter? logLogitScale = null)
    {
        var stateDict = new OrderedDictionary<string, object?>();
        using (var scope = NewDisposeScope())
        {
            foreach (var (name, p) in model.named_parameters())
                stateDict[name] = CheckpointTensor.FromTensor(p.detach().to(ScalarType.Float32).cpu());
        }
        foreach (var (name, t) in extraBuffers) stateDict.TryAdd(name, t);
        var checkpoint = new Dictionary<string, object?>
        {
            ["model"] = stateDict,
            ["optimizer"] = optimizerState,
            ["lr_sched"] = schedulerState,
            ["epoch"] = (long)epoch,
            ["best_epoch"] = (long)bestEpoch,
            ["min_eval_loss"] = minEvalLoss,
            ["modality"] = modality.ToString().ToLowerInvariant(),
        };
        if (logLogitScale is not null) checkpoint["logit_scale"] = Math.Exp(logLogitScale.detach().to(ScalarType.Float64).cpu().item<double>());
        PthWriter.Write(path, checkpoint);
    }
}
