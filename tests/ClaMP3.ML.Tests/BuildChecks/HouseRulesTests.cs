using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ClaMP3.ML.Tests.BuildChecks;

/// <summary>The house rules that no compiler switch keeps (issue 13), read from the sources with Roslyn's parser:
/// no method longer than 80 lines outside the xml2abc port, a thin CLI (its command files under 700 lines in all), and
/// Modeling that only computes (no file access) in one module style.
/// Naming is kept by .editorconfig (IDE1006 as an error) and the Scalar rule by the banned-API analyzer.</summary>
[TestClass]
public sealed class HouseRulesTests
{
    private const int MaxMethodLines = 80;
    private const int MaxCliCommandLines = 700;

    [TestMethod]
    public void NoMethodIsLongerThan80LinesOutsideTheXml2AbcPort()
    {
        var roots = new[] { "src", "samples", "tests" }.Select(d => Path.Combine(TestPaths.RepoRoot, d));
        var tooLong = roots.SelectMany(SourceFiles)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}ClaMP3.ML.MusicXml{Path.DirectorySeparatorChar}"))
            .SelectMany(LongMembers)
            .ToList();
        Assert.IsTrue(tooLong.Count == 0, $"{tooLong.Count} members over {MaxMethodLines} lines: split them.\n" + string.Join("\n", tooLong));
    }

    [TestMethod]
    public void TheRuleSeesALongMethod()
    {
        // The measuring itself: a 90-line method is found, an 80-line one and a long string literal are not.
        string Method(string name, int lines) => $"void {name}()\n{{\n{string.Concat(Enumerable.Repeat("    x++;\n", lines - 3))}}}\n";
        string source = "class C\n{\nint x;\n" + Method("Long", 90) + Method("Fine", 80) + "string s = \"\"\"\n" + new string('\n', 100) + "\"\"\";\n}\n";
        var found = Measure(CSharpSyntaxTree.ParseText(source)).Where(m => m.Lines > MaxMethodLines).Select(m => m.Name).ToList();
        CollectionAssert.AreEqual(new[] { "Long" }, found);
    }

    [TestMethod]
    public void CliCommandFilesStayThin()
    {
        var commands = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src", "ClaMP3.Cli", "Commands"), "*.cs");
        Assert.IsTrue(commands.Length > 5, "the CLI's Commands folder moved: update this check");
        int total = commands.Sum(f => File.ReadAllLines(f).Length);
        Assert.IsTrue(total < MaxCliCommandLines,
            $"the CLI's command files total {total} lines (limit {MaxCliCommandLines}): move the logic into the library. Largest: " +
            string.Join(", ", commands.OrderByDescending(f => File.ReadAllLines(f).Length).Take(3).Select(Path.GetFileName)));
    }

    [TestMethod]
    public void ModelingTouchesNoFiles()
    {
        // Loading (src/*/Loading) reads files; the modules only compute.
        var modeling = Path.Combine(TestPaths.RepoRoot, "src", "ClaMP3.ML.TorchSharp", "Modeling");
        var sources = SourceFiles(modeling).ToList();
        Assert.IsTrue(sources.Count > 10, $"{modeling}: {sources.Count} files");
        var offending = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => System.Text.RegularExpressions.Regex.IsMatch(x.line, @"\b(File|Directory|Path)\."))
            .Select(x => $"{Path.GetRelativePath(modeling, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.AreEqual(0, offending.Count, string.Join("\n", offending));
    }

    [TestMethod]
    public void EveryModelingModuleIsTyped()
    {
        // One module style: nn.Module<…> with forward (run through call, so hooks see it), never the untyped nn.Module.
        var modeling = Path.Combine(TestPaths.RepoRoot, "src", "ClaMP3.ML.TorchSharp", "Modeling");
        var modules = SourceFiles(modeling)
            .SelectMany(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f)).GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
            .Select(c => (c.Identifier.Text, Base: c.BaseList?.Types.FirstOrDefault()?.Type.ToString() ?? ""))
            .Where(c => c.Base == "nn.Module" || c.Base.StartsWith("nn.Module<", StringComparison.Ordinal) || c.Base == "Module" || c.Base.StartsWith("Module<", StringComparison.Ordinal))
            .ToList();
        Assert.IsTrue(modules.Count >= 20, $"only {modules.Count} modules found under {modeling}");
        var untyped = modules.Where(m => !m.Base.Contains('<')).Select(m => m.Text).ToList();
        Assert.IsTrue(untyped.Count == 0, "untyped modules: " + string.Join(", ", untyped));
    }

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static IEnumerable<string> LongMembers(string file) =>
        Measure(CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: file))
            .Where(m => m.Lines > MaxMethodLines)
            .Select(m => $"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{m.Line} {m.Name} ({m.Lines} lines)");

    /// <summary>Every method, constructor, operator, accessor and local function with a body: its name, first line and
    /// line count (from the signature, attributes excluded, to the closing brace or semicolon).</summary>
    private static IEnumerable<(string Name, int Line, int Lines)> Measure(SyntaxTree tree)
    {
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            string? name = node switch
            {
                MethodDeclarationSyntax m => m.Identifier.Text,
                ConstructorDeclarationSyntax c => c.Identifier.Text + " (constructor)",
                OperatorDeclarationSyntax o => "operator " + o.OperatorToken.Text,
                ConversionOperatorDeclarationSyntax => "conversion operator",
                AccessorDeclarationSyntax a => a.Keyword.Text + " accessor",
                LocalFunctionStatementSyntax l => l.Identifier.Text + " (local function)",
                _ => null,
            };
            if (name is null) continue;
            var span = node.Span;
            if (node is MemberDeclarationSyntax member && member.AttributeLists.Count > 0)
                span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(member.AttributeLists.Last().Span.End, span.End);
            var lines = tree.GetLineSpan(span);
            yield return (name, lines.StartLinePosition.Line + 1, lines.EndLinePosition.Line - lines.StartLinePosition.Line + 1);
        }
    }
}
