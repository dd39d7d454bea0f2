using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Transforms.Core;

/// <summary>
/// Base of every ClaMP3.ML transformer: a pure mapping (no training state) that runs a <see cref="BatchMapper{TIn}"/>
/// over batches of rows. Works in <c>Transform</c> (lazy, ordered cursors), in pipelines and in
/// <see cref="PredictionEngine{TSrc,TDst}"/>. ML.NET's own model format cannot hold third-party transformers (its
/// loader registry is internal), so its <c>Save</c> points to <c>Clamp3ModelFile</c>, which can.
/// </summary>
public abstract class BatchedTransformer : ITransformer
{
    protected BatchedTransformer(BatchMapperBase mapper) => Mapper = mapper;

    protected internal BatchMapperBase Mapper { get; }

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => BatchedSchema.Build(inputSchema, Mapper);

    public IDataView Transform(IDataView input) => Mapper.CreateView(input);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Mapper.CreateRowMapper(inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        $"{GetType().Name} cannot be written by mlContext.Model.Save: ML.NET's model format only loads Microsoft's own " +
        "transformers. Save the pipeline with mlContext.Model.SaveClamp3(model, inputSchema, path) and load it with " +
        "mlContext.Model.LoadClamp3(path, out schema) (ClaMP3.ML.Transforms.Clamp3ModelFile).");
}

/// <summary>Builds <see cref="SchemaShape"/> columns for estimators' <c>GetOutputSchema</c>.</summary>
internal static class SchemaShapes
{
    // SchemaShape.Column has only a non-public constructor in ML.NET 5; every estimator outside Microsoft's assemblies
    // needs it to describe its output. Tests pin this against the ML.NET version we ship with.
    private static readonly ConstructorInfo ColumnConstructor = typeof(SchemaShape.Column)
        .GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
        .Single(c => c.GetParameters().Length == 5);

    public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey = false,
        SchemaShape? annotations = null) =>
        (SchemaShape.Column)ColumnConstructor.Invoke(new object?[] { name, kind, itemType, isKey, annotations ?? new SchemaShape(Array.Empty<SchemaShape.Column>()) });

    /// <summary>The shape of a concrete schema (ML.NET's own <c>SchemaShape.Create</c> is internal).</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) =>
        new(schema.Where(c => !c.IsHidden).Select(c => c.Type switch
        {
            VectorDataViewType v => Column(c.Name, v.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector, v.ItemType, v.ItemType is KeyDataViewType),
            var t => Column(c.Name, SchemaShape.Column.VectorKind.Scalar, t, t is KeyDataViewType),
        }));

    /// <summary>The input shape with <paramref name="outputs"/> added (replacing same-named columns).</summary>
    public static SchemaShape With(SchemaShape input, IEnumerable<MappedColumn> outputs)
    {
        var columns = input.ToDictionary(c => c.Name);
        foreach (var output in outputs)
        {
            var (kind, item) = output.Type switch
            {
                VectorDataViewType v when v.IsKnownSize => (SchemaShape.Column.VectorKind.Vector, v.ItemType),
                VectorDataViewType v => (SchemaShape.Column.VectorKind.VariableVector, v.ItemType),
                var t => (SchemaShape.Column.VectorKind.Scalar, t),
            };
            columns[output.Name] = Column(output.Name, kind, item, item is KeyDataViewType);
        }
        return new SchemaShape(columns.Values);
    }
}
