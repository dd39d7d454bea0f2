using System.CommandLine;
using System.Reflection;
using ClaMP3.Cli;

// Every ICliCommand in this assembly becomes a subcommand: adding a command is adding one file under Commands/.
var root = new RootCommand("clamp3: CLaMP 3 music information retrieval in .NET (embed, search, score, eval, mert, convert, train, bench).");
foreach (var type in typeof(ICliCommand).Assembly.GetTypes()
             .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
             .OrderBy(t => t.Name))
{
    var command = ((ICliCommand)Activator.CreateInstance(type)!).Create();
    root.Subcommands.Add(command);
}
return root.Parse(args).Invoke();
