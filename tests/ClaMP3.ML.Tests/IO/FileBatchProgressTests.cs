using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.IO;

/// <summary>The progress lines of a file batch: counts by status, a line for the last item, no repeated closing line,
/// the interval between lines and the status suffix.</summary>
[TestClass]
public class FileBatchProgressTests
{
    private static FileBatchResult Result(FileBatchStatus status) =>
        new(new FileBatchItem("/in/a.txt", "a.txt", "/out/a.npy"), status, status == FileBatchStatus.Failed ? "bad" : null);

    [TestMethod]
    public void CountsEachStatusAndWritesTheLastItemOnce()
    {
        var lines = new List<string>();
        var progress = new FileBatchProgress(4, lines.Add, "embedded", () => "cpu 1.0 GiB") { Interval = TimeSpan.FromHours(1) };
        progress.Add(Result(FileBatchStatus.Done));
        progress.Add(Result(FileBatchStatus.SkippedExisting));
        progress.Add(Result(FileBatchStatus.Failed));
        Assert.IsEmpty(lines, "no line before the interval has passed");
        progress.Add(Result(FileBatchStatus.SkippedCollision));
        Assert.HasCount(1, lines);
        StringAssert.StartsWith(lines[0], "[4/4] 1 embedded, 2 skipped, 1 failed, ");
        StringAssert.EndsWith(lines[0], " files/s; cpu 1.0 GiB");
        progress.Finish();
        Assert.HasCount(1, lines, "Finish adds nothing when the last line counted everything");
    }

    [TestMethod]
    public void FinishWritesWhatTheLastLineDidNotCountAndZeroIntervalWritesEveryItem()
    {
        var lines = new List<string>();
        var every = new FileBatchProgress(3, lines.Add) { Interval = TimeSpan.Zero };
        every.Add(Result(FileBatchStatus.Done));
        every.Add(Result(FileBatchStatus.Done));
        Assert.HasCount(2, lines);
        StringAssert.StartsWith(lines[1], "[2/3] 2 done, 0 skipped, 0 failed, ");
        Assert.DoesNotContain(";", lines[1], "no status suffix without a status");

        lines.Clear();
        var slow = new FileBatchProgress(3, lines.Add) { Interval = TimeSpan.FromHours(1) };
        slow.Add(Result(FileBatchStatus.Failed));
        slow.Finish();
        Assert.HasCount(1, lines);
        StringAssert.StartsWith(lines[0], "[1/3] 0 done, 0 skipped, 1 failed, ");
    }
}
