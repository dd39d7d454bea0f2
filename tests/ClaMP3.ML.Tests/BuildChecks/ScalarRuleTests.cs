using System.Text.RegularExpressions;

namespace ClaMP3.ML.Tests.BuildChecks;

/// <summary>The Scalar rule is kept by the compiler: a throw-away project under a temp folder, wired like this
/// repository (its Directory.Build.props: BannedApiAnalyzers + BannedSymbols.txt, RS0030 as an error), with a planted
/// <c>a + b</c> between tensors, must fail to build with RS0030 on exactly the planted lines.</summary>
[TestClass]
public sealed class ScalarRuleTests
{
    [TestMethod]
    [TestCategory("build")]
    public void PlantedTensorOperatorsFailTheBuildWithRS0030()
    {
        string dir = Path.Combine(Path.GetTempPath(), "clamp3-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string root = TestPaths.RepoRoot;
            // The repository's own props, found the way MSBuild and NuGet find them (central versions included).
            File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), $"""<Project><Import Project="{root}/Directory.Build.props" /></Project>""");
            File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), $"""<Project><Import Project="{root}/Directory.Packages.props" /></Project>""");
            File.WriteAllText(Path.Combine(dir, "Planted.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Library</OutputType><TreatWarningsAsErrors>false</TreatWarningsAsErrors></PropertyGroup>
                  <ItemGroup><PackageReference Include="TorchSharp" /></ItemGroup>
                </Project>
                """);
            // Lines 7 and 8 are planted; line 9 (a method call with a tensor argument) is allowed.
            File.WriteAllText(Path.Combine(dir, "Planted.cs"), """
                using TorchSharp;
                using static TorchSharp.torch;
                public static class Planted
                {
                    public static Tensor Run(Tensor a, Tensor b)
                    {
                        var sum = a + b;
                        var half = sum * 0.5;
                        return half.mul(b);
                    }
                }
                """);
            var (exitCode, output) = Build(dir);
            var errors = Regex.Matches(output, @"Planted\.cs\((\d+),\d+\): error RS0030").Select(m => int.Parse(m.Groups[1].Value)).Distinct().Order().ToArray();
            Console.WriteLine($"dotnet build exit {exitCode}; RS0030 on lines {string.Join(", ", errors)}");
            Assert.AreNotEqual(0, exitCode, "the planted operators must fail the build:\n" + output);
            CollectionAssert.AreEqual(new[] { 7, 8 }, errors, "RS0030 on the planted a + b and sum * 0.5, nowhere else:\n" + output);
            StringAssert.Contains(output, "KeptScalarOps", "the error names the way out");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } // a build server may still hold a file
        }
    }

    private static (int ExitCode, string Output) Build(string dir)
    {
        var run = ChildProcess.Run(ChildProcess.Dotnet, ["build", "Planted.csproj", "-nologo", "-v", "quiet", "-p:UseSharedCompilation=false", "-nodeReuse:false"], dir);
        return (run.Code, run.All);
    }
}
