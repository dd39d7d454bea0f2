using ClaMP3.ML.Modeling;
using TorchSharp.Modules;

namespace ClaMP3.ML.Training;

/// <summary>The official freezing per training stage (<c>set_trainable(model, freeze_list)</c> of the training scripts).</summary>
public static class Clamp3Freezing
{
    /// <summary>The top-level modules frozen in a stage: the symbolic stage (<c>train_clamp3_symbolic.py</c>) freezes
    /// <c>audio_model</c>, <c>audio_proj</c>; the audio stage freezes <c>symbolic_model</c>, <c>symbolic_proj</c>;
    /// <paramref name="freezeText"/> (official <c>FREEZE_TEXT</c>, default false) adds <c>text_model</c>, <c>text_proj</c>.</summary>
    public static IReadOnlyList<string> FrozenModules(Modality musicModality, bool freezeText)
    {
        var frozen = musicModality switch
        {
            Modality.Symbolic => new List<string> { "audio_model", "audio_proj" },
            Modality.Audio => new List<string> { "symbolic_model", "symbolic_proj" },
            _ => throw new ArgumentException("The music modality of a training stage is Symbolic or Audio.", nameof(musicModality)),
        };
        if (freezeText) frozen.AddRange(new[] { "text_model", "text_proj" });
        return frozen;
    }

    /// <summary>Sets <c>requires_grad</c> per the stage and returns the trainable parameters in <c>named_parameters()</c>
    /// order (what the official optimizer receives).</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> SetTrainable(Clamp3Model model, Modality musicModality, bool freezeText)
    {
        var frozen = FrozenModules(musicModality, freezeText);
        var trainable = new List<(string, Parameter)>();
        foreach (var (name, p) in model.named_parameters())
        {
            bool isFrozen = frozen.Any(f => name.StartsWith(f + ".", StringComparison.Ordinal));
            p.requires_grad = !isFrozen;
            if (!isFrozen) trainable.Add((name, p));
        }
        return trainable;
    }
}
