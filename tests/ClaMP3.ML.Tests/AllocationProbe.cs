namespace ClaMP3.ML.Tests;

/// <summary>Bytes the current thread allocates while running an action (the reads under test run on it): a hostile
/// file must be refused long before it can make the process allocate its declared size.</summary>
internal static class AllocationProbe
{
    public const long Budget = 256L << 20;

    /// <summary>Runs <paramref name="action"/>, returns what it threw (or null) and asserts the thread allocated under <see cref="Budget"/>.</summary>
    public static Exception? Bounded(Action action, string what)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? thrown = null;
        try { action(); }
        catch (Exception e) { thrown = e; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(allocated < Budget, $"{what}: allocated {allocated / (1 << 20)} MiB (budget {Budget >> 20} MiB); {thrown?.GetType().Name}: {thrown?.Message}");
        return thrown;
    }

    /// <summary>As <see cref="Bounded"/>, and the action must throw <typeparamref name="T"/> whose message contains every fragment.</summary>
    public static T Refused<T>(Action action, string what, params string[] fragments) where T : Exception
    {
        var e = Bounded(action, what);
        Assert.IsInstanceOfType<T>(e, $"{what}: expected {typeof(T).Name}, got {e?.GetType().Name ?? "no exception"}: {e}");
        foreach (var f in fragments) StringAssert.Contains(e!.Message, f, $"{what}: the message");
        return (T)e!;
    }
}
