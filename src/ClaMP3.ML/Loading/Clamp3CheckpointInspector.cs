namespace ClaMP3.ML.Modeling;

/// <summary>Recognises what kind of checkpoint a state dict is, for clear errors when the wrong file is passed.</summary>
public static class Clamp3CheckpointInspector
{
    /// <summary>Throws <see cref="InvalidDataException"/> ("not a CLaMP 3 checkpoint: …") unless the keys look like CLaMP 3's.</summary>
    public static void RequireClamp3(IReadOnlyDictionary<string, long[]> shapes, string description)
    {
        bool Has(string prefix) => shapes.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        if (Has("text_model.") && Has("symbolic_model.") && Has("audio_model.")) return;
        var sample = string.Join(", ", shapes.Keys.Take(3).Select(k => "'" + k + "'"));
        var kind = Has("feature_extractor.conv_layers.") || Has("encoder.pos_conv_embed.") ? " It looks like a MERT (MusicHubert) checkpoint; use it with `clamp3 mert`."
            : Has("encoder.layer.") && Has("embeddings.") ? " It looks like a bare BERT/XLM-R encoder."
            : Has("encoder.") && Has("decoder.") ? " It looks like an M3 (encoder/decoder) checkpoint."
            : "";
        var missing = new[] { "text_model.", "symbolic_model.", "audio_model." }.Where(p => !Has(p)).Select(p => p + "*");
        throw new InvalidDataException(
            $"not a CLaMP 3 checkpoint: {description} has no {string.Join(" / ", missing)} keys ({shapes.Count} tensors{(shapes.Count > 0 ? ", e.g. " + sample : "")}).{kind}");
    }
}
