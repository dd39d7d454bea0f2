using System.Globalization;
using System.IO.Compression;

namespace ClaMP3.ML.Tests.Packaging;

/// <summary>
/// A newcomer's first hour, from packages only: packs ClaMP3.ML, ClaMP3.ML.TorchSharp and the clamp3 tool into a
/// temporary feed (a unique prerelease version, so no stale copy in the NuGet cache is used), then builds a fresh
/// console app that references only the packages + the documented CPU runtime line and runs the README's five lines,
/// and installs the tool with <c>dotnet tool install --add-source</c> and runs it. Restore is offline: the temporary
/// feed plus the warm NuGet cache. On Debian 12 this also proves the glibc fix travels in the package.
/// </summary>
[TestClass]
public class PackageSmokeTests
{
    private static readonly string Version = "0.2.0-smoke." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) +
                                             "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private static (int Code, string Output) Run(string workDir, string file, params string[] args)
    {
        var run = ChildProcess.Run(file, args, workDir, new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {file} {string.Join(' ', args.Take(3))}… → {run.Code}");
        return (run.Code, run.All);
    }

    [TestMethod]
    [Timeout(1_800_000)]
    public void ReadmeFiveLinesRunInAFreshAppFromThePackagesAndTheToolInstalls()
    {
        using var tmp = TestPaths.NewTempDir();
        string feed = Path.Combine(tmp.Path, "feed"), artifacts = Path.Combine(tmp.Path, "artifacts");
        try
        {
            foreach (var project in new[] { "src/ClaMP3.ML", "src/ClaMP3.ML.TorchSharp", "src/ClaMP3.Cli" })
            {
                // Own artifacts folder: never touches the repository's bin/obj (another test run may be using them).
                var pack = Run(TestPaths.RepoRoot, "dotnet", "pack", project, "-c", "Release", "-o", feed, "--artifacts-path", artifacts,
                    "-p:Version=" + Version, "-v", "quiet", "-nologo");
                Assert.AreEqual(0, pack.Code, pack.Output);
            }
            CheckPackageContents(feed);
            RunFreshApp(tmp.Path, feed);
            InstallAndRunTool(tmp.Path, feed);
        }
        finally
        {
            // The unique version extracted into the NuGet cache by the app's restore: ours, remove it.
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "clamp3.ml", "clamp3.ml.torchsharp", "clamp3.cli", "clamp3.cli.linux-x64" })
            {
                var dir = Path.Combine(cache, id, Version.ToLowerInvariant());
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static void CheckPackageContents(string feed)
    {
        foreach (var id in new[] { "ClaMP3.ML", "ClaMP3.ML.TorchSharp" })
        {
            using var zip = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{Version}.nupkg"));
            var names = zip.Entries.Select(e => e.FullName).ToList();
            foreach (var expected in new[] { "README.md", "LICENSE", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml" })
                CollectionAssert.Contains(names, expected, $"{id}: {expected}");
            Assert.IsTrue(File.Exists(Path.Combine(feed, $"{id}.{Version}.snupkg")), $"{id}: symbols package");
        }
        using var torch = ZipFile.OpenRead(Path.Combine(feed, $"ClaMP3.ML.TorchSharp.{Version}.nupkg"));
        CollectionAssert.Contains(torch.Entries.Select(e => e.FullName).ToList(), "buildTransitive/ClaMP3.ML.TorchSharp.targets");
        var tool = new FileInfo(Path.Combine(feed, $"ClaMP3.Cli.linux-x64.{Version}.nupkg"));
        Assert.IsTrue(tool.Exists, "the linux-x64 tool package");
        using var toolZip = ZipFile.OpenRead(tool.FullName);
        Assert.IsFalse(toolZip.Entries.Any(e => e.FullName.Contains("/osx", StringComparison.Ordinal) || e.FullName.Contains("/win", StringComparison.Ordinal)),
            "no other platform's natives in the linux-x64 tool");
        Console.WriteLine($"tool package {tool.Length / 1e6:F0} MB");
    }

    private static void RunFreshApp(string root, string feed)
    {
        string app = Path.Combine(root, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
            </configuration>
            """);
        // Outside the repository: no Directory.Build.* or central package versions reach it.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ClaMP3.ML.TorchSharp" Version="{Version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
              </ItemGroup>
            </Project>
            """);
        string tiny = TestPaths.Fixture("clamp3-tiny");
        string abc = File.ReadAllText(Directory.GetFiles(TestPaths.Fixture("preprocess", "interleaved", "expected"), "*.abc").Order(StringComparer.Ordinal).First());
        File.WriteAllText(Path.Combine(app, "tune.abc"), abc);
        // The README's five lines (paths to the fixture checkpoint instead of the official weights).
        File.WriteAllText(Path.Combine(app, "Program.cs"), $$"""
            using ClaMP3.ML.Inference;
            using ClaMP3.ML.Retrieval;

            using var clamp3 = Clamp3Embedder.Load(new Clamp3EmbedderOptions(@"{{Path.Combine(tiny, "clamp3_tiny.pth")}}") { TokenizerPath = @"{{TestPaths.Fixture("tokenizer", "spm.model")}}", ConfigPath = @"{{Path.Combine(tiny, "config.json")}}" });
            FeatureMatrix text = clamp3.EmbedText("A lively Irish jig");
            FeatureMatrix score = clamp3.EmbedScore(File.ReadAllText("tune.abc"));
            Console.WriteLine($"cosine {Similarity.Cosine(text.Row(0), score.Row(0)).ToString(System.Globalization.CultureInfo.InvariantCulture)} dims {text.Columns} {score.Columns}");
            """);
        var build = Run(app, "dotnet", "build", "-c", "Release", "-v", "minimal", "-nologo");
        Assert.AreEqual(0, build.Code, build.Output);
        var run = Run(app, "dotnet", Path.Combine(app, "bin", "Release", "net10.0", "App.dll"));
        Assert.AreEqual(0, run.Code, run.Output);
        var line = run.Output.Split('\n').Single(l => l.StartsWith("cosine ", StringComparison.Ordinal));
        double cosine = double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.IsTrue(double.IsFinite(cosine) && Math.Abs(cosine) <= 1.0001, line);
    }

    private static void InstallAndRunTool(string root, string feed)
    {
        string tools = Path.Combine(root, "tools");
        var install = Run(root, "dotnet", "tool", "install", "ClaMP3.Cli", "--version", Version, "--add-source", feed, "--tool-path", tools);
        Assert.AreEqual(0, install.Code, install.Output);
        string clamp3 = Path.Combine(tools, "clamp3");
        var convert = Run(root, clamp3, "convert", "abc2interleaved", Path.Combine(TestPaths.RealData, "abc"), Path.Combine(root, "abc"), "--quiet");
        Assert.AreEqual(0, convert.Code, convert.Output);
        StringAssert.Contains(convert.Output, "25 converted");
        string tiny = TestPaths.Fixture("clamp3-tiny");
        var embed = Run(root, clamp3, "embed", Path.Combine(root, "abc"), Path.Combine(root, "features"), "--checkpoint", Path.Combine(tiny, "clamp3_tiny.pth"),
            "--config", Path.Combine(tiny, "config.json"), "--global");
        Assert.AreEqual(0, embed.Code, embed.Output);
        Assert.HasCount(25, Directory.GetFiles(Path.Combine(root, "features"), "*.npy", SearchOption.AllDirectories));
    }
}
