using ClaMP3.ML.Preprocessing;
using ClaMP3.ML.Preprocessing.Midi;

namespace ClaMP3.ML.Tests.Preprocessing;

[TestClass]
public class BatchConverterTests
{
    private static string MtfInput(string name) => TestPaths.Fixture("preprocess", "mtf", "input", name + ".mid");

    [TestMethod]
    public void CollidingOutputNamesKeepTheFirstInputAndReportTheOther()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in");
        Directory.CreateDirectory(input);
        File.Copy(MtfInput("coleraine"), Path.Combine(input, "tune.mid"));
        File.Copy(MtfInput("araber-tants"), Path.Combine(input, "tune.midi"));

        var report = new BatchConverter(new Midi2MtfConverter(), new ConverterOptions(true)) { MaxDegreeOfParallelism = 2 }
            .Run(input, Path.Combine(tmp.Path, "out"));

        Assert.AreEqual(1, report.Converted.Count);
        Assert.AreEqual("tune.mid", report.Converted[0].RelativePath, "ordinal path order: tune.mid before tune.midi");
        var collision = report.Skipped.Single();
        Assert.AreEqual(BatchFileStatus.SkippedCollision, collision.Status);
        StringAssert.Contains(collision.Reason, "tune.mid");
        Assert.AreEqual(MidiToMtf.Convert(File.ReadAllBytes(MtfInput("coleraine")), true),
            File.ReadAllText(Path.Combine(tmp.Path, "out", "tune.mtf")));
    }

    [TestMethod]
    public void TemporariesAKilledRunLeftAreRemovedAndAShardSelectsItsPart()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(input);
        Directory.CreateDirectory(output);
        File.Copy(MtfInput("coleraine"), Path.Combine(input, "a.mid"));
        File.Copy(MtfInput("araber-tants"), Path.Combine(input, "b.mid"));
        string stale = Path.Combine(output, ".a.mtf." + Guid.NewGuid().ToString("N") + ".tmp");
        string othersInFlight = Path.Combine(output, ".b.mtf." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllText(stale, "half a file");
        File.WriteAllText(othersInFlight, "another shard writes b");

        var report = new BatchConverter(new Midi2MtfConverter(), new ConverterOptions(true)) { Select = all => all.Take(1).ToList() }
            .Run(input, output);
        Assert.AreEqual("a.mid", report.Converted.Single().RelativePath);
        Assert.IsFalse(File.Exists(stale), "this run's stale temporary is gone");
        Assert.IsTrue(File.Exists(othersInFlight), "a temporary of an output this run does not own is left alone");
    }

    [TestMethod]
    public void ReportsProgressSizesAndEveryFileOnce()
    {
        using var tmp = TestPaths.NewTempDir();
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        var batch = new BatchConverter(new Midi2MtfConverter(), new ConverterOptions(true));
        batch.FileCompleted += (_, r) => seen.Add(r.RelativePath);
        string input = TestPaths.Fixture("preprocess", "mtf", "input");

        var report = batch.Run(input, tmp.Path);

        Assert.AreEqual(34, report.FilesFound);
        Assert.AreEqual(32, report.Converted.Count);
        Assert.AreEqual(2, report.Failed.Count);
        CollectionAssert.AreEquivalent(report.Converted.Concat(report.Failed).Select(r => r.RelativePath).ToList(), seen.ToList());
        Assert.AreEqual(report.Converted.Sum(r => new FileInfo(r.InputPath).Length), report.InputBytes);
        Assert.AreEqual(Directory.EnumerateFiles(tmp.Path).Sum(p => new FileInfo(p).Length), report.OutputBytes);
        Assert.IsTrue(report.Failed.All(r => !string.IsNullOrEmpty(r.Reason) && !File.Exists(r.OutputPath)));
    }

    [TestMethod]
    public void OutputFolderInsideTheInputIsNotWalked()
    {
        using var tmp = TestPaths.NewTempDir();
        File.Copy(MtfInput("coleraine"), Path.Combine(tmp.Path, "a.mid"));
        string output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(output);
        File.Copy(MtfInput("coleraine"), Path.Combine(output, "stale.mid"));
        var batch = new BatchConverter(new Midi2MtfConverter());
        CollectionAssert.AreEqual(new[] { Path.Combine(tmp.Path, "a.mid") }, batch.FindInputs(tmp.Path, output).ToArray());
    }

    [TestMethod]
    public void SummaryErrorLogAndOneEventAtATime()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Path.Combine(tmp.Path, "in"), output = Path.Combine(tmp.Path, "out"), log = Path.Combine(tmp.Path, "logs", "errors.txt");
        Directory.CreateDirectory(input);
        File.Copy(MtfInput("coleraine"), Path.Combine(input, "a.mid"));
        File.Copy(MtfInput("araber-tants"), Path.Combine(input, "b.mid"));
        File.WriteAllText(Path.Combine(input, "bad.mid"), "not a MIDI file");

        int inHandler = 0, overlaps = 0;
        var batch = new BatchConverter(new Midi2MtfConverter(), new ConverterOptions(true)) { MaxDegreeOfParallelism = 3 };
        batch.FileCompleted += (_, _) =>
        {
            if (Interlocked.Increment(ref inHandler) > 1) Interlocked.Increment(ref overlaps);
            Thread.Sleep(20);
            Interlocked.Decrement(ref inHandler);
        };
        var report = batch.Run(input, output);
        Assert.AreEqual(0, overlaps, "FileCompleted is raised one at a time");
        StringAssert.StartsWith(report.Summary, "midi2mtf: 2 converted, 0 already there, 0 name collisions, 1 rejected, of 3 .mid/.midi files; ");
        StringAssert.EndsWith(report.Summary, " → " + Path.GetFullPath(output));

        report.AppendErrorLog(log);
        var line = File.ReadAllLines(log).Single();
        StringAssert.StartsWith(line, Path.Combine(input, "bad.mid") + " ");
        var clean = new BatchConverter(new Midi2MtfConverter(), new ConverterOptions(true)).Run(Path.Combine(input, "a.mid"), output);
        clean.AppendErrorLog(log);
        Assert.HasCount(1, File.ReadAllLines(log), "a run without failures appends nothing");
    }
}
