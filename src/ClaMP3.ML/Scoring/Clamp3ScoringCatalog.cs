using ClaMP3.ML;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Scoring;

/// <summary>
/// CLaMP 3 featurizers that are ordinary ML.NET models: <c>Fit</c> returns a chain of ML.NET's own transformers
/// (<c>ApplyOnnxModel</c> and <c>CustomMapping</c>), so <c>mlContext.Model.Save</c> writes it (ONNX bytes inside the zip),
/// and an app that references only ClaMP3.ML, Microsoft.ML and Microsoft.ML.OnnxTransformer loads it with
/// <c>mlContext.Model.Load</c> — no TorchSharp, no weights on disk. Output: a <c>Vector&lt;Single, D&gt;</c> of global features.
/// </summary>
/// <remarks>
/// The chain (text): <c>ApplyOnnxModel</c> (a constant graph carrying the tokenizer: <see cref="Clamp3ScoringState"/>) →
/// <c>CustomMapping</c> "ClaMP3.TokenizeText.v1" → <c>ApplyOnnxModel</c> (the encoder, segmenting and weighting in-graph:
/// <see cref="Clamp3ScoringGraphs"/>) → the helper columns dropped. Scores: the same with "ClaMP3.Patchilize.v1". Audio:
/// <c>CustomMapping</c> "ClaMP3.DecodeAudio.v1" (file → 24 kHz samples) → <c>ApplyOnnxModel</c> (MERT + the audio encoder).
/// <c>OnnxTransformer</c> runs one row per call (dotnet/machinelearning#5293): for bulk featurization use the batched
/// <see cref="Clamp3Catalog.FeaturizeClamp3(TransformsCatalog, Clamp3FeaturizerOptions)"/> over the ONNX engine.
/// </remarks>
public static class Clamp3ScoringCatalog
{
    /// <param name="model">The exported encoder (<see cref="Clamp3ScoringModel.Export"/> or <c>clamp3 export mlnet</c>).</param>
    /// <param name="outputColumnName">The features column (default <c>Features</c>).</param>
    /// <param name="inputColumnName">The input column; default <c>Text</c>, <c>Music</c> (ABC/MTF text) or <c>AudioPath</c>.</param>
    /// <param name="missingValueOnBadAudio">Audio only: an unreadable or too-short file gives NaN features (ML.NET's missing
    /// value) instead of an error naming the row and the file.</param>
    public static IEstimator<ITransformer> FeaturizeClamp3ForScoring(this TransformsCatalog catalog, Clamp3ScoringModel model,
        string outputColumnName = Clamp3ScoringGraphs.FeaturesColumn, string? inputColumnName = null, bool missingValueOnBadAudio = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        var fixedInput = Clamp3ScoringModel.InputColumnFor(model.Modality);
        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
        var helpers = new List<string>();
        if (inputColumnName is not null && inputColumnName != fixedInput)
        {
            chain = chain.Append(catalog.CopyColumns(fixedInput, inputColumnName));
            helpers.Add(fixedInput);
        }
        switch (model.Modality)
        {
            case Modality.Text:
                chain = chain.Append(Carrier(catalog, fixedInput, model))
                    .Append(catalog.CustomMapping(new Clamp3TokenizeTextMapping().GetMapping(), Clamp3TokenizeTextMapping.ContractName))
                    .Append(Encoder(catalog, Clamp3ScoringGraphs.TextIdsColumn, model));
                helpers.AddRange(new[] { Clamp3ScoringGraphs.StateColumn, Clamp3ScoringGraphs.TextIdsColumn });
                break;
            case Modality.Symbolic:
                chain = chain.Append(Carrier(catalog, fixedInput, model))
                    .Append(catalog.CustomMapping(new Clamp3PatchilizeMapping().GetMapping(), Clamp3PatchilizeMapping.ContractName))
                    .Append(Encoder(catalog, Clamp3ScoringGraphs.PatchesColumn, model));
                helpers.AddRange(new[] { Clamp3ScoringGraphs.StateColumn, Clamp3ScoringGraphs.PatchesColumn });
                break;
            default:
                chain = missingValueOnBadAudio
                    ? chain.Append(Stateful(catalog, new Clamp3DecodeAudioOrMissingMapping(), Clamp3DecodeAudioOrMissingMapping.ContractName))
                    : chain.Append(Stateful(catalog, new Clamp3DecodeAudioMapping(), Clamp3DecodeAudioMapping.ContractName));
                chain = chain.Append(Encoder(catalog, Clamp3ScoringGraphs.SamplesColumn, model));
                helpers.Add(Clamp3ScoringGraphs.SamplesColumn);
                break;
        }
        if (outputColumnName != Clamp3ScoringGraphs.FeaturesColumn)
        {
            chain = chain.Append(catalog.CopyColumns(outputColumnName, Clamp3ScoringGraphs.FeaturesColumn));
            helpers.Add(Clamp3ScoringGraphs.FeaturesColumn);
        }
        return chain.Append(catalog.DropColumns(helpers.ToArray()));
    }

    /// <summary>MIDI files (column <c>MidiPath</c>) → MTF text (column <c>Music</c>), as <c>batch_midi2mtf.py --m3_compatible</c>,
    /// as a standard ML.NET transform (a <c>CustomMapping</c>): put it before a score featurizer to score MIDI files.</summary>
    public static IEstimator<ITransformer> ConvertMidiToMtfForScoring(this TransformsCatalog catalog) =>
        Stateful(catalog, new Clamp3MidiToMtfMapping(), Clamp3MidiToMtfMapping.ContractName);

    private static IEstimator<ITransformer> Stateful<TSrc, TDst>(TransformsCatalog catalog,
        Microsoft.ML.Transforms.StatefulCustomMappingFactory<TSrc, TDst, Clamp3RowCounter> factory, string contract)
        where TSrc : class, new() where TDst : class, new() =>
        catalog.StatefulCustomMapping(factory.GetMapping(), factory.GetStateInitAction(), contract);

    private static IEstimator<ITransformer> Carrier(TransformsCatalog catalog, string inputColumn, Clamp3ScoringModel model) =>
        catalog.ApplyOnnxModel(new[] { Clamp3ScoringGraphs.StateColumn }, new[] { inputColumn }, new MemoryStream(model.StateCarrierOnnx(inputColumn), writable: false));

    private static IEstimator<ITransformer> Encoder(TransformsCatalog catalog, string inputColumn, Clamp3ScoringModel model) =>
        catalog.ApplyOnnxModel(new[] { Clamp3ScoringGraphs.FeaturesColumn }, new[] { inputColumn }, new MemoryStream(model.EncoderOnnx, writable: false));
}
