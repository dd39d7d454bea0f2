using System.Diagnostics;

namespace ClaMP3.ML.IO;

/// <summary>Progress lines of a <see cref="FileBatch"/> run, fed its results one at a time (the <c>onResult</c> hook):
/// <c>[done/total] N embedded, N skipped, N failed, r files/s; status</c>, at most one per <see cref="Interval"/>, one
/// when the last item is done and one at <see cref="Finish"/> unless nothing changed since the last line. Not
/// thread-safe: <see cref="FileBatch"/> reports its results from one thread.</summary>
public sealed class FileBatchProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _total;
    private readonly Action<string> _write;
    private readonly string _doneVerb;
    private readonly Func<string>? _status;
    private TimeSpan _lastLine = TimeSpan.Zero;
    private int _lastLineDone = -1, _succeeded, _failed, _skipped;

    /// <summary>Progress over <paramref name="total"/> items, its lines to <paramref name="write"/>.</summary>
    /// <param name="total">Items in the run (<see cref="FileBatch.Items"/>).</param>
    /// <param name="write">Gets each line.</param>
    /// <param name="doneVerb">What a done item is called in the line ("embedded").</param>
    /// <param name="status">Appended after <c>; </c> (e.g. <c>DeviceStatus.Describe</c>: where it runs, memory in use).</param>
    public FileBatchProgress(int total, Action<string> write, string doneVerb = "done", Func<string>? status = null)
    {
        _total = total;
        _write = write ?? throw new ArgumentNullException(nameof(write));
        _doneVerb = doneVerb;
        _status = status;
    }

    /// <summary>The shortest time between two lines before the last item (default 2 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    private int Done => _succeeded + _failed + _skipped;

    /// <summary>Counts one result; writes a line when <see cref="Interval"/> has passed or this was the last item.</summary>
    public void Add(FileBatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        switch (result.Status)
        {
            case FileBatchStatus.Done: _succeeded++; break;
            case FileBatchStatus.Failed: _failed++; break;
            default: _skipped++; break;
        }
        Write(false);
    }

    /// <summary>The closing line, unless the last line already counted everything.</summary>
    public void Finish() => Write(true);

    private void Write(bool final)
    {
        if (Done == _lastLineDone) return;
        if (!final && _clock.Elapsed - _lastLine < Interval && Done != _total) return;
        _lastLine = _clock.Elapsed;
        _lastLineDone = Done;
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        string status = _status is null ? "" : "; " + _status();
        _write($"[{Done}/{_total}] {_succeeded} {_doneVerb}, {_skipped} skipped, {_failed} failed, {_succeeded / seconds:F2} files/s{status}");
    }
}
