using System.Diagnostics;

namespace ClaMP3.ML.Tests.BuildChecks;

/// <summary>The GPU checks (scripts/gpu-check.sh) build these test sources a second way, as an MSTest-runner executable
/// (scripts/gpu/ClaMP3.ML.GpuTests.csproj) for a machine with only the .NET runtime. Nothing else builds that project
/// here, so a change that breaks it would only show on a lent GPU machine, with its minutes spent: build it now.</summary>
[TestClass]
public sealed class GpuTestProjectTests
{
    [TestMethod]
    [TestCategory("build")]
    public void TheGpuTestExecutableBuilds()
    {
        string project = Path.Combine(TestPaths.RepoRoot, "scripts", "gpu", "ClaMP3.ML.GpuTests.csproj");
        Assert.IsTrue(File.Exists(project), $"{project} is gone: update scripts/gpu-check.sh and this check");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var arg in new[] { "build", project, "-c", "Release", "-nologo", "-v", "quiet", "-p:UseSharedCompilation=false", "-nodeReuse:false" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, "scripts/gpu/ClaMP3.ML.GpuTests.csproj does not build:\n" + stdout + stderr.Result);
    }
}
