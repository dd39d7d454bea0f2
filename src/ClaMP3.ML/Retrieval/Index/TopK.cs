namespace ClaMP3.ML.Retrieval.Index;

/// <summary>
/// The k best (score, row) pairs seen so far, kept in a binary min-heap whose root is the worst kept pair, so each
/// candidate costs O(1) when rejected and O(log k) when kept (no full sort of n scores). Order: higher score first,
/// equal scores by lower row (insertion order, as the in-memory index always ranked ties).
/// </summary>
public sealed class TopK
{
    private readonly float[] _scores;
    private readonly int[] _rows;

    public TopK(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        _scores = new float[k];
        _rows = new int[k];
    }

    public int Capacity => _scores.Length;
    public int Count { get; private set; }

    /// <summary>The score a candidate must beat to enter once the heap is full (-inf before).</summary>
    public float Threshold => Count < _scores.Length ? float.NegativeInfinity : _scores[0];

    /// <summary>a ranks below b.</summary>
    private static bool Worse(float sa, int ra, float sb, int rb) => sa < sb || (sa == sb && ra > rb);

    public void Add(float score, int row)
    {
        if (float.IsNaN(score)) return;
        if (Count < _scores.Length)
        {
            int i = Count++;
            _scores[i] = score; _rows[i] = row;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!Worse(_scores[i], _rows[i], _scores[parent], _rows[parent])) break;
                Swap(i, parent);
                i = parent;
            }
            return;
        }
        if (!Worse(_scores[0], _rows[0], score, row)) return;
        _scores[0] = score; _rows[0] = row;
        SiftDown(0);
    }

    public void Merge(TopK other)
    {
        for (int i = 0; i < other.Count; i++) Add(other._scores[i], other._rows[i]);
    }

    /// <summary>The kept pairs, best first.</summary>
    public (int Row, float Score)[] ToSorted()
    {
        var result = new (int Row, float Score)[Count];
        for (int i = 0; i < Count; i++) result[i] = (_rows[i], _scores[i]);
        Array.Sort(result, (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return result;
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, worst = i;
            if (left < Count && Worse(_scores[left], _rows[left], _scores[worst], _rows[worst])) worst = left;
            if (right < Count && Worse(_scores[right], _rows[right], _scores[worst], _rows[worst])) worst = right;
            if (worst == i) return;
            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_rows[a], _rows[b]) = (_rows[b], _rows[a]);
    }
}
