using System.Text.Json;
using ClaMP3.ML.Inference;
using ClaMP3.ML.IO;

namespace ClaMP3.ML.Training;

/// <summary>One line of an M4-RAG-style JSONL (<c>id, filepaths, title, artists, region, language, genres, tags,
/// background, analysis, description, scene, translations</c>); the fields are kept in file order because the
/// official <c>text_dropout</c> walks them in that order.</summary>
public sealed record M4RagItem(string Id, IReadOnlyList<string> FilePaths, IReadOnlyList<KeyValuePair<string, object?>> Fields)
{
    /// <summary>The <c>analysis</c> field (the official eval-mode text), or null.</summary>
    public string? Analysis => Fields.FirstOrDefault(f => f.Key == "analysis").Value as string;

    /// <summary>The <c>translations</c> object (language → text), or an empty one.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Translations =>
        Fields.FirstOrDefault(f => f.Key == "translations").Value as IReadOnlyList<KeyValuePair<string, object?>> ?? Array.Empty<KeyValuePair<string, object?>>();
}

/// <summary>Reads M4-RAG-style JSONL and turns its items into <see cref="TrainingPair"/>s, skipping (and reporting) bad rows.</summary>
public static class M4RagJsonl
{
    /// <summary>Every line of <paramref name="path"/> as an item. A line that is not a JSON object with an <c>id</c> and a
    /// non-empty <c>filepaths</c> list is reported through <paramref name="onSkip"/> (file:line and why) and skipped.</summary>
    public static List<M4RagItem> Read(string path, Action<string>? onSkip = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"JSONL file not found: {path}", path);
        var items = new List<M4RagItem>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                var fields = (IReadOnlyList<KeyValuePair<string, object?>>)ToValue(doc.RootElement)!;
                var id = fields.FirstOrDefault(f => f.Key == "id").Value?.ToString() ?? throw new FormatException("no 'id'");
                var files = (fields.FirstOrDefault(f => f.Key == "filepaths").Value as IReadOnlyList<object?>)?.OfType<string>().ToList();
                if (files is null || files.Count == 0) throw new FormatException("no 'filepaths' list");
                items.Add(new M4RagItem(id, files, fields));
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                onSkip?.Invoke($"{path}:{lineNo}: skipped ({e.Message})");
            }
        }
        return items;
    }

    private static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Array => e.EnumerateArray().Select(ToValue).ToList(),
        JsonValueKind.Object => e.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, ToValue(p.Value))).ToList(),
        _ => null,
    };

    /// <summary>
    /// Pairs for a training stage: symbolic reads every <c>.abc</c>/<c>.mtf</c> file of an item (<c>.abc</c> first, the
    /// official eval choice), audio every <c>.npy</c> of MERT features (reshaped to rows of <paramref name="audioDim"/>).
    /// Paths are relative to <paramref name="dataFolder"/>. An item with no readable music file, or without any text, is
    /// skipped and reported.
    /// </summary>
    public static List<TrainingPair> ToPairs(IEnumerable<M4RagItem> items, string dataFolder, ClaMP3.ML.Modeling.Modality modality, int audioDim = 768, Action<string>? onSkip = null)
    {
        var pairs = new List<TrainingPair>();
        foreach (var item in items)
        {
            var scores = new List<string>();
            var audio = new List<FeatureMatrix>();
            foreach (var rel in item.FilePaths.OrderBy(f => f.EndsWith(".abc", StringComparison.OrdinalIgnoreCase) ? 0 : 1))
            {
                var full = Path.Combine(dataFolder, rel);
                try
                {
                    if (modality == ClaMP3.ML.Modeling.Modality.Symbolic && (rel.EndsWith(".abc", StringComparison.OrdinalIgnoreCase) || rel.EndsWith(".mtf", StringComparison.OrdinalIgnoreCase)))
                    {
                        var text = File.ReadAllText(full);
                        if (text.Length > 0) scores.Add(text); else onSkip?.Invoke($"{item.Id}: {full} is empty");
                    }
                    else if (modality == ClaMP3.ML.Modeling.Modality.Audio && rel.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                    {
                        audio.Add(MertFeatureFile.Read(full, audioDim, onSkip));
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or NotSupportedException)
                {
                    onSkip?.Invoke($"{item.Id}: cannot read {full} ({e.Message})");
                }
            }
            var pair = new TrainingPair(item.Id, item.Analysis ?? "", scores.Count > 0 ? scores : null, audio.Count > 0 ? audio : null, item);
            if (pair.Problem(modality) is { } problem) { onSkip?.Invoke($"{item.Id}: skipped ({problem})"); continue; }
            pairs.Add(pair);
        }
        return pairs;
    }
}
