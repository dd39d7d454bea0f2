using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>
/// Brute-force top-k over a row-major matrix of unit vectors: a batched matrix product (rows × queries) computed
/// block by block with the queries held in cache, each row read from memory once per batch of queries, feeding one
/// <see cref="TopK"/> heap per query. Rows are split across cores; float16 rows are widened block by block.
/// </summary>
internal static unsafe class ExactScan
{
    private const int RowsPerTask = 8192;
    private const int HalfBlockRows = 64;

    /// <summary>Top <paramref name="k"/> rows for each of <paramref name="queryCount"/> unit queries ([q, dim] row-major).</summary>
    public static TopK[] Search(void* matrix, VectorElement element, int rows, int dim, float[] queries, int queryCount, int k,
        CancellationToken cancellationToken = default)
    {
        var result = NewHeaps(queryCount, k);
        if (rows == 0) return result;
        int tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        var gate = new object();
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        nint basePtr = (nint)matrix;
        Parallel.For(0, tasks, options, () => NewHeaps(queryCount, k), (task, _, local) =>
        {
            int start = task * RowsPerTask, end = Math.Min(rows, start + RowsPerTask);
            fixed (float* q = queries)
            {
                if (element == VectorElement.Float32) ScanFloat((float*)basePtr, start, end, dim, q, queryCount, local);
                else ScanHalf((Half*)basePtr, start, end, dim, q, queryCount, local);
            }
            return local;
        }, local => { lock (gate) for (int i = 0; i < queryCount; i++) result[i].Merge(local[i]); });
        return result;
    }

    private static TopK[] NewHeaps(int n, int k)
    {
        var heaps = new TopK[n];
        for (int i = 0; i < n; i++) heaps[i] = new TopK(k);
        return heaps;
    }

    private static void ScanHalf(Half* matrix, int start, int end, int dim, float* queries, int queryCount, TopK[] heaps)
    {
        var buffer = new float[HalfBlockRows * dim];
        fixed (float* b = buffer)
            for (int blockStart = start; blockStart < end; blockStart += HalfBlockRows)
            {
                int n = Math.Min(HalfBlockRows, end - blockStart);
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(matrix + (long)blockStart * dim, n * dim), buffer.AsSpan(0, n * dim));
                ScanFloat(b - (long)blockStart * dim, blockStart, blockStart + n, dim, queries, queryCount, heaps);
            }
    }

    /// <summary>Rows [start, end) of <paramref name="matrix"/> against every query, four queries per pass over a row.</summary>
    private static void ScanFloat(float* matrix, int start, int end, int dim, float* queries, int queryCount, TopK[] heaps)
    {
        for (int row = start; row < end; row++)
        {
            float* r = matrix + (long)row * dim;
            int qi = 0;
            for (; qi + 4 <= queryCount; qi += 4)
            {
                float* q = queries + (long)qi * dim;
                Dot4(r, q, q + dim, q + 2 * dim, q + 3 * dim, dim, out float s0, out float s1, out float s2, out float s3);
                Offer(heaps[qi], s0, row); Offer(heaps[qi + 1], s1, row); Offer(heaps[qi + 2], s2, row); Offer(heaps[qi + 3], s3, row);
            }
            for (; qi < queryCount; qi++)
                Offer(heaps[qi], TensorPrimitives.Dot(new ReadOnlySpan<float>(r, dim), new ReadOnlySpan<float>(queries + (long)qi * dim, dim)), row);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(TopK heap, float score, int row)
    {
        if (score >= heap.Threshold) heap.Add(score, row);
    }

    /// <summary>One row against four queries: the row is loaded once per 8 lanes for four fused multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(float* r, float* q0, float* q1, float* q2, float* q3, int dim,
        out float s0, out float s1, out float s2, out float s3)
    {
        var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero; var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
        int j = 0;
        for (; j + 8 <= dim; j += 8)
        {
            var v = Vector256.Load(r + j);
            a0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(q0 + j), a0);
            a1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(q1 + j), a1);
            a2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(q2 + j), a2);
            a3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(q3 + j), a3);
        }
        s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        for (; j < dim; j++)
        {
            s0 += r[j] * q0[j]; s1 += r[j] * q1[j]; s2 += r[j] * q2[j]; s3 += r[j] * q3[j];
        }
    }
}
