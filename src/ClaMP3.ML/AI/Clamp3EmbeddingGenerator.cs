using ClaMP3.ML.Inference;
using Microsoft.Extensions.AI;

namespace ClaMP3.ML.AI;

/// <summary>
/// The shared part of CLaMP 3's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>s: global (1 × D) embeddings of
/// a loaded <see cref="Clamp3Embedder"/> (whatever engine it runs on), in batches of the embedder's batch size (one
/// forward pass per batch, on a worker thread), cancellation checked before every batch, metadata through
/// <see cref="GetService"/>. The embedder is shared, not owned, unless <c>ownsEmbedder</c> is set.
/// </summary>
public abstract class Clamp3EmbeddingGenerator<TInput> : IEmbeddingGenerator<TInput, Embedding<float>>
{
    private readonly bool _ownsEmbedder;

    protected Clamp3EmbeddingGenerator(Clamp3Embedder embedder, bool ownsEmbedder, string? modelId)
    {
        Embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        _ownsEmbedder = ownsEmbedder;
        // The checkpoint's name; an embedder built over a caller's engine has no file.
        ModelId = modelId ?? (string.IsNullOrEmpty(embedder.Options.CheckpointPath) ? "clamp3" : Path.GetFileNameWithoutExtension(embedder.Options.CheckpointPath));
        Metadata = new EmbeddingGeneratorMetadata("ClaMP3.ML", new Uri("https://github.com/sanderwood/clamp3"), ModelId, embedder.GlobalDimension);
    }

    public Clamp3Embedder Embedder { get; }
    public string ModelId { get; }
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>Inputs per forward pass (default: the embedder's batch size).</summary>
    public int BatchSize { get; init; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<TInput> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckOptions(options);
        var inputs = values.ToList();
        int batch = BatchSize > 0 ? BatchSize : Math.Max(1, Embedder.Options.BatchSize);
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = inputs.GetRange(start, Math.Min(batch, inputs.Count - start));
            // The forward pass is CPU/GPU-bound and synchronous: keep it off the caller's thread.
            var features = await Task.Run(() => Embedder.Embed(slice.Select((x, i) => Prepare(x, start + i)).ToList(), FeatureKind.Global),
                cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            foreach (var f in features)
                result.Add(new Embedding<float>(f.Values) { ModelId = ModelId, CreatedAt = now });
        }
        return result;
    }

    /// <summary>One input, ready for the encoder; errors name the item's position (and its name where it has one).</summary>
    protected abstract PreparedInput Prepare(TInput input, int position);

    private void CheckOptions(EmbeddingGenerationOptions? options)
    {
        if (options is null) return;
        if (options.Dimensions is int d && d != Embedder.GlobalDimension)
            throw new NotSupportedException($"CLaMP 3 embeddings have {Embedder.GlobalDimension} dimensions; {d} were asked for.");
        if (options.ModelId is { } id && id != ModelId)
            throw new NotSupportedException($"This generator serves the model '{ModelId}', not '{id}'.");
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(Embedder)) return Embedder;
        if (serviceType.IsInstanceOfType(this)) return this;
        return null;
    }

    public void Dispose()
    {
        if (_ownsEmbedder) Embedder.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Text (descriptions, queries, in any of XLM-R's 100 languages) → CLaMP 3 text embeddings.</summary>
public sealed class Clamp3TextEmbeddingGenerator : Clamp3EmbeddingGenerator<string>
{
    public Clamp3TextEmbeddingGenerator(Clamp3Embedder embedder, bool ownsEmbedder = false, string? modelId = null)
        : base(embedder, ownsEmbedder, modelId) { }

    protected override PreparedInput Prepare(string input, int position) =>
        Embedder.PrepareText(input ?? throw new ArgumentException($"Text {position} is null."));
}

/// <summary>Scores as text (interleaved ABC or MTF, detected as the official patchilizer does) → CLaMP 3 music embeddings.</summary>
public sealed class Clamp3ScoreEmbeddingGenerator : Clamp3EmbeddingGenerator<string>
{
    public Clamp3ScoreEmbeddingGenerator(Clamp3Embedder embedder, bool ownsEmbedder = false, string? modelId = null)
        : base(embedder, ownsEmbedder, modelId) { }

    protected override PreparedInput Prepare(string input, int position) =>
        Embedder.PrepareScore(input ?? throw new ArgumentException($"Score {position} is null."));
}
