using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using ClaMP3.ML.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace ClaMP3.ML.Tests;

/// <summary>
/// A small in-memory <see cref="VectorStoreCollection{TKey, TRecord}"/> for the tests (no connector package restores
/// here): records are described by a <see cref="VectorStoreCollectionDefinition"/> with one key, data properties and
/// one vector property whose value is the input (text, DataContent…) of the property's embedding generator. Upserts
/// generate and keep the embedding; searches embed the search value with the first generator that accepts its type
/// (the vector property's, then the definition's) and rank by cosine through <see cref="EmbeddingIndex"/>.
/// </summary>
internal sealed class InMemoryVectorCollection<TRecord> : VectorStoreCollection<string, TRecord> where TRecord : class
{
    private readonly VectorStoreCollectionDefinition _definition;
    private readonly VectorStoreKeyProperty _key;
    private readonly VectorStoreVectorProperty _vector;
    private readonly SortedDictionary<string, (TRecord Record, float[] Embedding)> _records = new(StringComparer.Ordinal);
    private bool _exists;

    public InMemoryVectorCollection(string name, VectorStoreCollectionDefinition definition)
    {
        Name = name;
        _definition = definition;
        _key = definition.Properties.OfType<VectorStoreKeyProperty>().Single();
        _vector = definition.Properties.OfType<VectorStoreVectorProperty>().Single();
    }

    public override string Name { get; }

    /// <summary>The embedding kept for a key (what the generator produced on upsert).</summary>
    public float[] StoredEmbedding(string key) => _records[key].Embedding;

    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => Task.FromResult(_exists);
    public override Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) { _exists = true; return Task.CompletedTask; }
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) { _exists = false; _records.Clear(); return Task.CompletedTask; }

    public override Task<TRecord?> GetAsync(string key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_records.TryGetValue(key, out var r) ? r.Record : null);

    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top,
        FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var predicate = filter.Compile();
        foreach (var r in _records.Values.Select(v => v.Record).Where(predicate).Take(top)) yield return r;
        await Task.CompletedTask;
    }

    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) { _records.Remove(key); return Task.CompletedTask; }

    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) => UpsertAsync(new[] { record }, cancellationToken);

    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        if (!_exists) throw new InvalidOperationException($"Collection {Name} does not exist.");
        var list = records.ToList();
        var inputs = list.Select(r => typeof(TRecord).GetProperty(_vector.Name)!.GetValue(r)).ToList();
        // One GenerateAsync call for the whole upsert: the generator batches inside.
        var embeddings = await GenerateAsync(_vector.EmbeddingGenerator, inputs, cancellationToken)
            ?? throw new InvalidOperationException($"The vector property {_vector.Name} has no generator for its values.");
        for (int i = 0; i < list.Count; i++)
        {
            if (embeddings[i].Length != _vector.Dimensions)
                throw new InvalidOperationException($"The generator gave {embeddings[i].Length} dimensions, the property declares {_vector.Dimensions}.");
            _records[(string)typeof(TRecord).GetProperty(_key.Name)!.GetValue(list[i])!] = (list[i], embeddings[i]);
        }
    }

    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top,
        VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        float[]? query = searchValue switch
        {
            ReadOnlyMemory<float> m => m.ToArray(),
            Embedding<float> e => e.Vector.ToArray(),
            _ => (await GenerateAsync(_vector.EmbeddingGenerator, new object?[] { searchValue }, cancellationToken)
                  ?? await GenerateAsync(_definition.EmbeddingGenerator, new object?[] { searchValue }, cancellationToken))?[0],
        };
        if (query is null) throw new NotSupportedException($"No embedding generator accepts a {typeof(TInput).Name} search value.");
        if (_records.Count == 0) yield break;
        var keys = _records.Keys.ToList();
        var index = EmbeddingIndex.Build(keys.Select(k => (k, _records[k].Embedding)));
        foreach (var hit in index.Search(query, top + (options?.Skip ?? 0)).Skip(options?.Skip ?? 0))
            yield return new VectorSearchResult<TRecord>(_records[hit.Id].Record, hit.Similarity);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) => null;

    /// <summary>Runs <paramref name="generator"/> when it is an <c>IEmbeddingGenerator&lt;T, Embedding&lt;float&gt;&gt;</c>
    /// for the inputs' type; null when it is absent or for another input type.</summary>
    private static async Task<float[][]?> GenerateAsync(IEmbeddingGenerator? generator, IReadOnlyList<object?> inputs, CancellationToken cancellationToken)
    {
        switch (generator)
        {
            case IEmbeddingGenerator<string, Embedding<float>> text when inputs.All(i => i is string):
                return (await text.GenerateAsync(inputs.Cast<string>(), cancellationToken: cancellationToken)).Select(e => e.Vector.ToArray()).ToArray();
            case IEmbeddingGenerator<DataContent, Embedding<float>> media when inputs.All(i => i is DataContent):
                return (await media.GenerateAsync(inputs.Cast<DataContent>(), cancellationToken: cancellationToken)).Select(e => e.Vector.ToArray()).ToArray();
            default:
                return null;
        }
    }
}
