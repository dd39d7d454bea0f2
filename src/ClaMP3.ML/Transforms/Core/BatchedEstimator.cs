using Microsoft.ML;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// Base of the estimators of stateless batched transforms: <c>Fit</c> trains nothing, it builds the transformer once
/// (loading or reusing the model) and checks the input schema before any data flows.
/// </summary>
public abstract class BatchedEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : BatchedTransformer
{
    private TTransformer? _transformer;

    protected abstract string InputColumnName { get; }

    protected abstract TTransformer CreateTransformer();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the input column has the wrong kind or type.</summary>
    protected virtual void CheckInputShape(SchemaShape.Column column) { }

    public TTransformer Fit(IDataView input)
    {
        var transformer = Transformer;
        transformer.GetOutputSchema(input.Schema); // validates the input column before any data flows
        return transformer;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var column = inputSchema.FirstOrDefault(c => c.Name == InputColumnName);
        if (column.Name == null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Input column '{InputColumnName}' not found. Columns: {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        CheckInputShape(column);
        return SchemaShapes.With(inputSchema, Transformer.Mapper.Outputs);
    }

    private TTransformer Transformer => _transformer ??= CreateTransformer();
}
