using ClaMP3.ML;
using ClaMP3.ML.Retrieval;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.Samples;

/// <summary>Text → music search: MIDI files become MTF and CLaMP 3 embeddings in one pipeline, descriptions become
/// text embeddings, and each description finds its piece among all of them (MRR as clamp3_eval.py).</summary>
internal static class TextToMusicSearch
{
    public static void Run(SampleSetup setup)
    {
        var ml = new MLContext(seed: 0);
        var pieces = setup.Pieces();
        var data = ml.Data.LoadFromEnumerable(pieces);
        var pipeline = ml.Transforms.ConvertMidiToMtf(outputColumnName: "Music", inputColumnName: nameof(Piece.MidiPath))
            .Append(ml.Transforms.FeaturizeClamp3(setup.Featurizer(Modality.Symbolic, "Music", "MusicEmbedding")))
            .Append(ml.Transforms.FeaturizeClamp3(setup.Featurizer(Modality.Text, nameof(Piece.Description), "TextEmbedding")));
        var embedded = pipeline.Fit(data).Transform(data);
        var music = embedded.GetColumn<VBuffer<float>>("MusicEmbedding").Select(v => v.DenseValues().ToArray()).ToList();
        var text = embedded.GetColumn<VBuffer<float>>("TextEmbedding").Select(v => v.DenseValues().ToArray()).ToList();

        var index = EmbeddingIndex.Build(pieces.Select((p, i) => (p.Id, music[i])));
        foreach (int q in new[] { 0, 7, 20 }.Where(q => q < pieces.Count))
        {
            Console.WriteLine($"Query: \"{pieces[q].Description}\"");
            foreach (var hit in index.Search(text[q], topK: 3))
                Console.WriteLine($"   {hit.Similarity,7:F4}  {hit.Id}{(hit.Id == pieces[q].Id ? "   <- the described piece" : "")}");
        }
        var metrics = RetrievalEvaluator.Evaluate(
            pieces.Select((p, i) => (p.Id, text[i])).ToList(),
            pieces.Select((p, i) => (p.Id, music[i])).ToList());
        Console.WriteLine($"Text → MIDI retrieval over {pieces.Count} pieces: {metrics}");
    }
}
