namespace ClaMP3.ML.Training;

/// <summary>The official <c>TextMusicDataset.text_dropout</c> (training mode): with probability 0.5 the candidates are the
/// translations (every key but <c>language</c>); if that gives nothing, every other string or list field except <c>id</c>,
/// <c>filepaths</c>, <c>language</c>, <c>translations</c>. De-duplicated, joined by newlines and split into lines; each
/// non-empty line kept with probability 0.5 (all lines if none is kept), shuffled, joined with <c>&lt;/s&gt;</c>.</summary>
/// <remarks>Python's <c>list(set(...))</c> order is arbitrary and followed by a shuffle; first-occurrence order is used here.
/// Python's random stream itself cannot be reproduced; the distribution is the same.</remarks>
public static class TextDropout
{
    private static readonly HashSet<string> Excluded = new(StringComparer.Ordinal) { "id", "filepaths", "language", "translations" };

    public static string Apply(M4RagItem item, Random random)
    {
        var candidates = new List<string>();
        if (random.NextDouble() < 0.5)
            foreach (var (key, value) in item.Translations)
                if (key != "language" && value is string s) candidates.Add(s);
        candidates.RemoveAll(string.IsNullOrEmpty);
        if (candidates.Count == 0) candidates.AddRange(OtherFields(item));
        var lines = string.Join("\n", candidates.Where(c => !string.IsNullOrEmpty(c)).Distinct(StringComparer.Ordinal)).Split('\n').ToList();
        var selected = lines.Where(c => c.Length > 0 && random.NextDouble() < 0.5).ToList();
        if (selected.Count == 0) selected = lines;
        TrainingData.Shuffle(selected, random);
        return string.Join("</s>", selected);
    }

    public static bool HasAnyCandidate(M4RagItem item) =>
        OtherFields(item).Any(s => !string.IsNullOrWhiteSpace(s)) || item.Translations.Any(t => t.Key != "language" && t.Value is string s && s.Length > 0);

    private static IEnumerable<string> OtherFields(M4RagItem item)
    {
        foreach (var (key, value) in item.Fields)
        {
            if (Excluded.Contains(key)) continue;
            if (value is string s) yield return s;
            else if (value is IReadOnlyList<object?> list)
                foreach (var x in list) if (x is string xs) yield return xs;
        }
    }
}
