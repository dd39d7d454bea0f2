using ClaMP3.ML.IO;

namespace ClaMP3.ML.Tests.IO;

/// <summary>The file-batch runner every extraction and conversion uses: order, output mapping, resume, collisions,
/// stale temporaries, grouped retry, the selection hook and the exit code.</summary>
[TestClass]
public class FileBatchTests
{
    private static readonly FileBatchOptions Upper = new()
    {
        Accepts = name => name.EndsWith(".in", StringComparison.Ordinal),
        MapOutput = FileBatchOptions.ReplaceExtension(".out"),
    };

    private static string Tree(string root, params string[] files)
    {
        string input = Path.Combine(root, "in");
        foreach (var f in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(input, f))!);
            File.WriteAllText(Path.Combine(input, f), f);
        }
        return input;
    }

    private static void Convert(FileBatchItem item)
    {
        string text = File.ReadAllText(item.InputPath);
        if (text.Contains("bad")) throw new InvalidDataException("cannot read this one");
        AtomicFile.WriteAllText(item.OutputPath, text.ToUpperInvariant());
    }

    [TestMethod]
    public void PlansInOrdinalOrderMirrorsFoldersAndLeavesTheOutputFolderOut()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Tree(tmp.Path, "b.in", "A.in", "sub/a.b.in", "sub/x.txt", ".hidden.in", "out/old.in");
        var batch = FileBatch.Plan(input, Path.Combine(input, "out"), Upper);
        CollectionAssert.AreEqual(new[] { ".hidden.in", "A.in", "b.in", Path.Combine("sub", "a.b.in") }, batch.Items.Select(i => i.RelativePath).ToArray());
        Assert.AreEqual(Path.Combine(input, "out", "sub", "a.b.out"), batch.Items[3].OutputPath);
        Assert.AreEqual(Path.Combine(input, "out", ".hidden.out"), batch.Items[0].OutputPath, "os.path.splitext keeps leading dots");

        // A single file is taken as given (the caller checks its type) and lands directly in the output folder.
        var single = FileBatch.Plan(Path.Combine(input, "sub", "x.txt"), Path.Combine(tmp.Path, "o"), Upper).Items.Single();
        Assert.AreEqual(("x.txt", Path.Combine(tmp.Path, "o", "x.out")), (single.RelativePath, single.OutputPath));
        Assert.ThrowsExactly<FileNotFoundException>(() => FileBatch.Plan(Path.Combine(tmp.Path, "missing"), tmp.Path, Upper));
    }

    [TestMethod]
    public void ABadFileFailsAloneAndARerunResumes()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Tree(tmp.Path, "a.in", "bad.in", "c/d.in"), output = Path.Combine(tmp.Path, "out");
        var lines = new List<string>();
        var report = FileBatch.Plan(input, output, Upper).Run(Convert, r => { if (r.Status == FileBatchStatus.Failed) lines.Add(r.Line); });
        Assert.AreEqual((2, 1, 1), (report.Done, report.Failed, report.ExitCode));
        Assert.AreEqual("A.IN", File.ReadAllText(Path.Combine(output, "a.out")));
        Assert.AreEqual("C/D.IN", File.ReadAllText(Path.Combine(output, "c", "d.out")));
        CollectionAssert.AreEqual(new[] { $"{Path.Combine(input, "bad.in")}: cannot read this one" }, lines);

        File.WriteAllText(Path.Combine(input, "bad.in"), "good now");
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(output, "a.out"), stamp);
        report = FileBatch.Plan(input, output, Upper).Run(Convert);
        Assert.AreEqual((1, 2, 0, 0), (report.Done, report.SkippedExisting, report.Failed, report.ExitCode));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(Path.Combine(output, "a.out")), "an existing output is not rewritten");
        var nothing = FileBatch.Plan(input, Path.Combine(tmp.Path, "empty"), new FileBatchOptions { Accepts = _ => false, MapOutput = r => r });
        Assert.AreEqual(1, nothing.Run(Convert).ExitCode, "nothing found is not a success");
    }

    [TestMethod]
    public void StaleTemporariesOfOwnOutputsAreRemovedOthersKept()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Tree(tmp.Path, "a.in"), output = Path.Combine(tmp.Path, "out");
        Directory.CreateDirectory(output);
        string own = Path.Combine(output, ".a.out." + Guid.NewGuid().ToString("N") + ".tmp");
        string other = Path.Combine(output, ".z.out." + Guid.NewGuid().ToString("N") + ".tmp");   // another shard's write in progress
        string user = Path.Combine(output, "notes.tmp");
        foreach (var f in new[] { own, other, user }) File.WriteAllText(f, "x");
        Assert.AreEqual(Path.Combine(output, "a.out"), AtomicFile.TargetOfTemporary(own));
        Assert.IsNull(AtomicFile.TargetOfTemporary(user));

        var report = FileBatch.Plan(input, output, Upper).Run(Convert);
        Assert.AreEqual(0, report.ExitCode);
        Assert.IsFalse(File.Exists(own), "the killed run's temporary is gone");
        Assert.IsTrue(File.Exists(other) && File.Exists(user));
    }

    [TestMethod]
    public void CollisionsAreDecidedOverTheWholeListBeforeSelection()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Tree(tmp.Path, "a.in", "b.in", "c.in"), output = Path.Combine(tmp.Path, "out");
        var options = new FileBatchOptions
        {
            Accepts = Upper.Accepts,
            MapOutput = r => r == "c.in" ? "a.out" : Path.ChangeExtension(r, ".out"),
            Select = items => items.Where((_, i) => i % 2 == 0).ToList(),   // a part of the list, as a shard
        };
        var batch = FileBatch.Plan(input, output, options);
        CollectionAssert.AreEqual(new[] { "a.in", "c.in" }, batch.Items.Select(i => i.RelativePath).ToArray());
        var report = batch.Run(Convert);
        Assert.AreEqual(FileBatchStatus.Done, report.Results[0].Status);
        Assert.AreEqual(FileBatchStatus.SkippedCollision, report.Results[1].Status);
        StringAssert.Contains(report.Results[1].Line, Path.Combine(input, "a.in"));
        Assert.AreEqual("A.IN", File.ReadAllText(Path.Combine(output, "a.out")));
    }

    [TestMethod]
    public void AFailingGroupIsRedoneOneItemAtATimeAndResultsStayInOrder()
    {
        using var tmp = TestPaths.NewTempDir();
        string input = Tree(tmp.Path, "1.in", "2.in", "3bad.in", "4.in", "5.in"), output = Path.Combine(tmp.Path, "out");
        var groups = new List<int>();
        var report = FileBatch.Plan(input, output, Upper).RunGrouped(2,
            item => File.ReadAllText(item.InputPath),
            group =>
            {
                groups.Add(group.Count);
                if (group.Any(t => t.Contains("bad"))) throw new InvalidDataException("bad item in the group");
                return group.Select(t => t.ToUpperInvariant()).ToList();
            },
            (item, text) => AtomicFile.WriteAllText(item.OutputPath, text));
        CollectionAssert.AreEqual(new[] { 2, 2, 1, 1, 1 }, groups, "groups [1,2], [3bad,4] failed and redone alone, [5]");
        CollectionAssert.AreEqual(new[] { "1.in", "2.in", "3bad.in", "4.in", "5.in" }, report.Results.Select(r => r.Item.RelativePath).ToArray());
        Assert.AreEqual((4, 1, 1), (report.Done, report.Failed, report.ExitCode));
        Assert.AreEqual("4.IN", File.ReadAllText(Path.Combine(output, "4.out")));
        Assert.IsFalse(Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories).Any());
    }

    [TestMethod]
    public void AtomicWriteLeavesTheOldFileWhenTheWriterFails()
    {
        using var tmp = TestPaths.NewTempDir();
        string path = Path.Combine(tmp.Path, "x.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.ThrowsExactly<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("writer failed"); }));
        Assert.AreEqual("old", File.ReadAllText(path));
        Assert.AreEqual(1, Directory.GetFiles(tmp.Path).Length, "no temporary file is left");
    }
}
