using ClaMP3.ML;
using ClaMP3.ML.Transforms;
using Microsoft.ML;

namespace ClaMP3.Samples;

/// <summary>A linear probe: CLaMP 3 embeddings as features for ML.NET's own multiclass trainer (major vs minor).</summary>
internal static class LinearProbe
{
    public static void Run(SampleSetup setup)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(setup.Pieces());
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 0);
        var pipeline = ProbePipeline(ml, setup);
        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"Major/minor probe on held-out pieces: micro accuracy {metrics.MicroAccuracy:F3}, macro {metrics.MacroAccuracy:F3}, log loss {metrics.LogLoss:F3}");
    }

    /// <summary>MIDI path → MTF → CLaMP 3 score embedding → standardised → L-BFGS maximum entropy on the mode.</summary>
    public static IEstimator<ITransformer> ProbePipeline(MLContext ml, SampleSetup setup) =>
        ml.Transforms.ConvertMidiToMtf(outputColumnName: "Music", inputColumnName: nameof(Piece.MidiPath))
            .Append(ml.Transforms.FeaturizeClamp3(setup.Featurizer(Modality.Symbolic, "Music")))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", nameof(Piece.Mode)))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features", l1Regularization: 0, l2Regularization: 1e-3f))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedMode", "PredictedLabel"));
}
