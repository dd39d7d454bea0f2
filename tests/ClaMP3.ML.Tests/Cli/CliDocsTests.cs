using System.CommandLine;
using ClaMP3.Cli;

namespace ClaMP3.ML.Tests.Cli;

/// <summary>docs/cli.md against the commands' own help: every command has a section, and every option and argument
/// that <c>--help</c> shows for it is named in that section.</summary>
[TestClass]
public class CliDocsTests
{
    [TestMethod]
    public void EveryOptionInHelpIsDocumentedInDocsCli()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "cli.md"));
        var sections = doc.Split("\n## ").Skip(1).ToDictionary(s => s[..s.IndexOf('\n')].Trim(), s => s);
        var missing = new List<string>();
        var root = new RootCommand();
        foreach (var type in typeof(ICliCommand).Assembly.GetTypes()
                     .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
            root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(type)!).Create());
        foreach (var command in root.Subcommands) Check(command, "clamp3 " + command.Name);

        void Check(Command command, string path)
        {
            if (command.Subcommands.Count > 0)
            {
                foreach (var sub in command.Subcommands) Check(sub, path + " " + sub.Name);
                return;
            }
            if (!sections.TryGetValue(path, out var section)) { missing.Add($"no section '## {path}'"); return; }
            var help = new StringWriter();
            root.Parse(path.Split(' ').Skip(1).Append("--help").ToArray()).Invoke(new InvocationConfiguration { Output = help });
            var shown = help.ToString();
            foreach (var option in command.Options.Where(o => !o.Hidden && shown.Contains(o.Name, StringComparison.Ordinal)))
                if (!section.Contains(option.Name, StringComparison.Ordinal)) missing.Add($"{path}: option {option.Name}");
            foreach (var argument in command.Arguments.Where(a => !a.Hidden))
                if (!section.Contains(argument.Name, StringComparison.Ordinal)) missing.Add($"{path}: argument {argument.Name}");
            Assert.Contains("--help", shown, $"{path}: help was rendered");
        }
        Assert.IsEmpty(missing, "docs/cli.md lacks (paste the command's --help into its section):\n" + string.Join("\n", missing));
    }
}
