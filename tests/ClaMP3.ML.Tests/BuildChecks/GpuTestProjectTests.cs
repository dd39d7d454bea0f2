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
        var run = ChildProcess.Run(ChildProcess.Dotnet, ["build", project, "-c", "Release", "-nologo", "-v", "quiet", "-p:UseSharedCompilation=false", "-nodeReuse:false"],
            TestPaths.RepoRoot);
        Assert.AreEqual(0, run.Code, "scripts/gpu/ClaMP3.ML.GpuTests.csproj does not build:\n" + run.All);
    }
}
