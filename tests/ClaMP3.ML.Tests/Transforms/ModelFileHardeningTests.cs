using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ClaMP3.ML.Inference;
using ClaMP3.ML.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ClaMP3.ML.Tests.Transforms;

/// <summary>A saved pipeline is a zip from anywhere: its member names must not place files outside the cache folder,
/// included weights are checked against their SHA-256, cached files are re-checked before reuse, declared sizes are
/// bounded; and a pipeline keeps the state it was saved with (a sibling config.json, the precision).</summary>
[TestClass]
public class ModelFileHardeningTests
{
    private sealed class Item
    {
        public string Music { get; set; } = "";
    }

    private static readonly Item[] Items = Directory.GetFiles(TestPaths.Fixture("clamp3-tiny", "inputs", "abc"), "*.abc")
        .OrderBy(f => f, StringComparer.Ordinal).Take(3).Select(f => new Item { Music = File.ReadAllText(f) }).ToArray();

    /// <summary>A self-contained pipeline (score featurizer) over copies of the fixture checkpoint and its sibling
    /// config.json; the copies are deleted so that only the model file holds the weights.</summary>
    private static (string ModelPath, IDataView Data, List<float[]> Expected) SavePipeline(string folder, Clamp3Precision precision = Clamp3Precision.Float32,
        bool passConfig = true)
    {
        var ml = new MLContext(seed: 1);
        string weights = Path.Combine(folder, "weights");
        Directory.CreateDirectory(weights);
        foreach (var f in new[] { "clamp3_tiny.pth", "config.json" }) File.Copy(TestPaths.Fixture("clamp3-tiny", f), Path.Combine(weights, f));
        var options = new Clamp3FeaturizerOptions
        {
            CheckpointPath = Path.Combine(weights, "clamp3_tiny.pth"),
            ConfigPath = passConfig ? Path.Combine(weights, "config.json") : null, // else found beside the checkpoint
            Modality = Clamp3Modality.Score, InputColumnName = "Music", Precision = precision,
        };
        var data = ml.Data.LoadFromEnumerable(Items);
        var model = ml.Transforms.FeaturizeClamp3(options).Fit(data);
        var expected = model.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        string path = Path.Combine(folder, "pipeline.zip");
        ml.Model.SaveClamp3(model, data.Schema, path, new Clamp3SaveOptions { IncludeWeights = true });
        Directory.Delete(weights, recursive: true);
        return (path, data, expected);
    }

    private static void EditManifest(string path, Action<JsonObject> edit)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry("clamp3-pipeline.json")!;
        JsonObject manifest;
        using (var reader = new StreamReader(entry.Open())) manifest = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        entry.Delete();
        edit(manifest);
        using var writer = new StreamWriter(zip.CreateEntry("clamp3-pipeline.json").Open());
        writer.Write(manifest.ToJsonString());
    }

    private static IEnumerable<JsonObject> Members(JsonObject manifest) =>
        manifest["files"]!.AsObject().Select(f => f.Value!["members"]!.AsArray()).SelectMany(a => a).Select(m => m!.AsObject());

    private static ITransformer Load(string path, string extract) =>
        new MLContext(seed: 2).Model.LoadClamp3(path, out _, new Clamp3LoadOptions { ExtractDirectory = extract });

    [TestMethod]
    public void MemberNamesThatLeaveTheCacheFolderAreRefusedAndNothingIsWrittenOutside()
    {
        using var tmp = TestPaths.NewTempDir();
        var (saved, _, _) = SavePipeline(tmp.Path);
        string extract = Path.Combine(tmp.Path, "cache", "models");
        string outside = Path.Combine(tmp.Path, "escaped-" + Guid.NewGuid().ToString("N") + ".pth");
        foreach (var hostile in new[] { "../../../" + Path.GetFileName(outside), outside, "sub/../../" + Path.GetFileName(outside), "..", "" })
        {
            string path = Path.Combine(tmp.Path, $"hostile-{Guid.NewGuid():N}.zip");
            File.Copy(saved, path);
            EditManifest(path, m => Members(m).First(x => (string)x["name"]! == "clamp3_tiny.pth")["name"] = hostile);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Load(path, extract), hostile);
            StringAssert.Contains(e.Message, path, "the message names the model file");
            StringAssert.Contains(e.Message, $"'{hostile}'", "the message names the member");
            Assert.IsFalse(File.Exists(outside), $"'{hostile}' wrote {outside}");
            Assert.AreEqual(0, Directory.GetFiles(tmp.Path, "*.pth", SearchOption.TopDirectoryOnly).Length, "nothing written beside the cache");
        }
    }

    [TestMethod]
    public void IncludedWeightsThatDoNotMatchTheirSha256AreRefused()
    {
        using var tmp = TestPaths.NewTempDir();
        var (path, _, _) = SavePipeline(tmp.Path);
        // Same size, one byte changed: only the recorded SHA-256 can tell.
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/clamp3_tiny.pth", StringComparison.Ordinal));
            byte[] bytes;
            using (var s = entry.Open()) { using var ms = new MemoryStream(); s.CopyTo(ms); bytes = ms.ToArray(); }
            bytes[bytes.Length / 2] ^= 0x40;
            string name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            w.Write(bytes);
        }
        string extract = Path.Combine(tmp.Path, "cache");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Load(path, extract));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "SHA-256");
        Assert.AreEqual(0, Directory.GetFiles(extract, "clamp3_tiny.pth", SearchOption.AllDirectories).Length, "a tampered file is never renamed into the cache");
    }

    [TestMethod]
    public void ACachedFileOfTheSameSizeIsCheckedBeforeReuse()
    {
        using var tmp = TestPaths.NewTempDir();
        var (path, data, expected) = SavePipeline(tmp.Path);
        string extract = Path.Combine(tmp.Path, "cache");
        Load(path, extract);
        string cached = Directory.GetFiles(extract, "clamp3_tiny.pth", SearchOption.AllDirectories).Single();
        string good = Sha256(cached);
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.Length / 2] ^= 0x40; // same size, different content (another user, a crash, a disk error)
        File.WriteAllBytes(cached, bytes);

        var reloaded = Load(path, extract);
        Assert.AreEqual(good, Sha256(cached), "the stale file was replaced by the verified content");
        var after = reloaded.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < expected.Count; i++)
            for (int k = 0; k < expected[i].Length; k++) Assert.AreEqual(expected[i][k], after[i][k], 1e-5, $"row {i} element {k}");
    }

    [TestMethod]
    public void TheDefaultCacheIsAPrivatePerUserFolder()
    {
        string folder = Clamp3ModelFile.DefaultExtractDirectory;
        Assert.AreNotEqual(Path.GetFullPath(Path.Combine(Path.GetTempPath(), "clamp3-models")), Path.GetFullPath(folder), "a folder every user shares");
        using var tmp = TestPaths.NewTempDir();
        var (path, _, _) = SavePipeline(tmp.Path);
        new MLContext(seed: 2).Model.LoadClamp3(path, out _);
        Assert.IsTrue(Directory.Exists(folder), folder);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(folder);
            Assert.AreEqual(UnixFileMode.None, mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute), $"{folder} is {mode}: others can read or write it");
        }
    }

    [TestMethod]
    public void DeclaredSizesAreBoundedBeforeAnythingIsRead()
    {
        using var tmp = TestPaths.NewTempDir();
        var (saved, _, _) = SavePipeline(tmp.Path);
        // A manifest that inflates to 200 MiB from a few hundred KiB.
        string bomb = Path.Combine(tmp.Path, "bomb.zip");
        File.Copy(saved, bomb);
        using (var zip = ZipFile.Open(bomb, ZipArchiveMode.Update))
        {
            zip.GetEntry("clamp3-pipeline.json")!.Delete();
            using var w = zip.CreateEntry("clamp3-pipeline.json", CompressionLevel.Fastest).Open();
            var spaces = new byte[1 << 20];
            Array.Fill(spaces, (byte)' ');
            for (int i = 0; i < 200; i++) w.Write(spaces);
        }
        Assert.IsTrue(new FileInfo(bomb).Length < 8 << 20);
        AllocationProbe.Refused<InvalidDataException>(() => Load(bomb, Path.Combine(tmp.Path, "cache")), "manifest bomb", bomb, "clamp3-pipeline.json");

        // Broken JSON and a missing members list: one error naming the file, never a NullReferenceException.
        string broken = Path.Combine(tmp.Path, "broken.zip");
        File.Copy(saved, broken);
        EditManifest(broken, m => m["files"]!.AsObject().First().Value!.AsObject().Remove("members"));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Load(broken, Path.Combine(tmp.Path, "cache"))).Message, broken);
    }

    [TestMethod]
    public void ASiblingConfigAndThePrecisionSurviveSaveAndLoad()
    {
        using var tmp = TestPaths.NewTempDir();
        // No ConfigPath: the config.json beside the checkpoint (which names it) is what the featurizer used; bfloat16.
        var (path, data, expected) = SavePipeline(tmp.Path, Clamp3Precision.BFloat16, passConfig: false);
        var loaded = Load(path, Path.Combine(tmp.Path, "cache"));
        var featurizer = ((IEnumerable<ITransformer>)loaded).OfType<Clamp3FeaturizerTransformer>().Single();
        Assert.AreEqual(Clamp3Precision.BFloat16, featurizer.Options.Precision, "the precision is saved");
        Assert.IsNotNull(featurizer.Options.ConfigPath, "the sibling config.json is saved with the weights");
        Assert.IsTrue(File.Exists(featurizer.Options.ConfigPath));
        Assert.AreEqual(File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "config.json")), File.ReadAllText(featurizer.Options.ConfigPath!));
        var after = loaded.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToList();
        Assert.AreEqual(expected.Count, after.Count);
        for (int i = 0; i < expected.Count; i++)
            for (int k = 0; k < expected[i].Length; k++) Assert.AreEqual(expected[i][k], after[i][k], 1e-5, $"row {i} element {k}");
    }

    private static string Sha256(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
