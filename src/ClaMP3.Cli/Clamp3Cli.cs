using System.CommandLine;

namespace ClaMP3.Cli;

/// <summary>The <c>clamp3</c> root command and its top-level error handling (see <see cref="CliErrors"/>).</summary>
public static class Clamp3Cli
{
    /// <summary>Every <see cref="ICliCommand"/> of this assembly becomes a subcommand: adding a command is adding one file under Commands/.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("clamp3: CLaMP 3 music information retrieval in .NET (embed, search, score, eval, mert, convert, train, bench).");
        foreach (var type in typeof(ICliCommand).Assembly.GetTypes()
                     .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                     .OrderBy(t => t.Name, StringComparer.Ordinal))
            root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(type)!).Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>: a usage error gives its lines and exit code 2, a failure that
    /// escapes a command one <c>error:</c> line and 1; never a stack trace.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        return CliErrors.Guard(stderr, () =>
        {
            var parse = CreateRoot().Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) stderr.WriteLine($"error: {error.Message}");
                stderr.WriteLine("(clamp3 --help, or clamp3 COMMAND --help, lists what is accepted.)");
                return CliErrors.Usage;
            }
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        });
    }
}
