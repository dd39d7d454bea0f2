namespace ClaMP3.ML.Retrieval.Index;

/// <summary>
/// Synthetic embeddings shaped like a music collection: <c>Clusters</c> Gaussian clusters (centres with N(0, 1)
/// coordinates), each item = its centre + <c>Spread</c> × N(0, 1) noise per coordinate, the cluster drawn uniformly
/// per item. Queries are fresh draws from the same mixture (not copies of items). Item i, query j and centre c each
/// come from their own SplitMix64 stream (<see cref="SplitMix64.ForItem"/>, domains 1, 2, 0), so a collection of a
/// million is reproducible from (seed, dimension, clusters, spread) alone.
/// </summary>
public sealed class ClusteredVectors
{
    private readonly float[][] _centres;

    public ClusteredVectors(ulong seed, int dimension, int clusters, double spread = 0.5)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (clusters < 1) throw new ArgumentOutOfRangeException(nameof(clusters));
        Seed = seed; Dimension = dimension; Clusters = clusters; Spread = spread;
        _centres = new float[clusters][];
        for (int c = 0; c < clusters; c++)
        {
            var rng = SplitMix64.ForItem(seed, 0, (ulong)c);
            _centres[c] = new float[dimension];
            for (int d = 0; d < dimension; d++) _centres[c][d] = (float)rng.NextGaussian();
        }
    }

    public ulong Seed { get; }
    public int Dimension { get; }
    public int Clusters { get; }
    public double Spread { get; }

    /// <summary>The default cluster count for n items: one cluster per thousand items, at least 10.</summary>
    public static int DefaultClusters(long items) => (int)Math.Max(10, items / 1000);

    public void Item(long index, Span<float> destination) => Draw(1, index, destination);
    public void Query(long index, Span<float> destination) => Draw(2, index, destination);

    private void Draw(ulong domain, long index, Span<float> destination)
    {
        if (destination.Length != Dimension) throw new ArgumentException($"Expected {Dimension} values.");
        var rng = SplitMix64.ForItem(Seed, domain, (ulong)index);
        var centre = _centres[(int)(rng.Next() % (ulong)Clusters)];
        for (int d = 0; d < Dimension; d++) destination[d] = (float)(centre[d] + Spread * rng.NextGaussian());
    }
}
