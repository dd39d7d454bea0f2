using ClaMP3.ML;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.Samples;

/// <summary>Zero-shot tagging: no training, only label descriptions (in any language) compared with the music.</summary>
internal static class ZeroShotTagging
{
    public static void Run(SampleSetup setup)
    {
        var ml = new MLContext(seed: 0);
        var pieces = setup.Pieces().Take(10).ToList();
        var data = ml.Data.LoadFromEnumerable(pieces);
        var labels = new[] { "jig", "reel", "march", "waltz", "klezmer" };
        var descriptions = new[]
        {
            "A lively Irish jig in 6/8.",
            "Ein schneller schottischer Reel.",
            "Une marche militaire pour cornemuse.",
            "Un vals lento y elegante.",
            "A klezmer dance tune.",
        };
        var pipeline = ml.Transforms.ConvertMidiToMtf(outputColumnName: "Music", inputColumnName: nameof(Piece.MidiPath))
            .Append(ml.Transforms.Clamp3ZeroShotClassify(new Clamp3ZeroShotOptions
            {
                Music = setup.Featurizer(Modality.Symbolic, "Music"),
                Labels = labels,
                LabelDescriptions = descriptions,
            }));
        var tagged = pipeline.Fit(data).Transform(data);
        var predicted = tagged.GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(m => m.ToString()).ToList();
        var scores = tagged.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < pieces.Count; i++)
            Console.WriteLine($"{pieces[i].Id,-34} → {predicted[i],-8} ({string.Join(", ", labels.Select((l, k) => $"{l} {scores[i][k]:F3}"))})");
    }
}
