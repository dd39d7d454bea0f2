using System.CommandLine;

namespace ClaMP3.Cli;

/// <summary>One <c>clamp3</c> subcommand. Implementations are discovered by reflection in Program.cs; keep them thin:
/// parse arguments, call the library, report. No model logic lives in the CLI.</summary>
public interface ICliCommand
{
    Command Create();
}
