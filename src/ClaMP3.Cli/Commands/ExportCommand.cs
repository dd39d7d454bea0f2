using System.CommandLine;

namespace ClaMP3.Cli.Commands;

/// <summary>One export format, run as <c>clamp3 export NAME</c>; discovered by reflection like the commands.</summary>
public interface IExportCommand
{
    Command Create();
}

/// <summary><c>clamp3 export</c>: groups the exporters (ONNX, …).</summary>
public sealed class ExportCommand : ICliCommand
{
    public Command Create()
    {
        var export = new Command("export", "Write models in other formats (see each exporter's help).");
        foreach (var type in typeof(ExportCommand).Assembly.GetTypes()
                     .Where(t => typeof(IExportCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                     .OrderBy(t => t.Name))
            export.Subcommands.Add(((IExportCommand)Activator.CreateInstance(type)!).Create());
        return export;
    }
}
