using System.CommandLine;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli;

/// <summary>A command line that cannot be run as given (a missing input, a bad option value, a model that does not
/// load): exit code 2, one line.</summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The one error policy of every <c>clamp3</c> command. Exit codes: 0 everything worked (outputs that were
/// already there count), 1 something failed (each failure reported as one <c>path: reason</c> line on stderr while
/// the batch went on), 2 the command could not start (usage). Never a .NET stack trace.</summary>
public static class CliErrors
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    /// <summary>Runs a command's body under the policy, with the invocation's writers.</summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, TextWriter, TextWriter, int> body) =>
        command.SetAction(parse => Guard(parse.InvocationConfiguration.Error, () =>
            body(parse, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error)));

    /// <summary>Runs <paramref name="body"/>; an exception becomes one <c>error:</c> line and exit code 1, or 2 for a
    /// <see cref="UsageException"/>.</summary>
    public static int Guard(TextWriter stderr, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return Usage;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled.");
            return Failed;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: {FileBatch.Reason(e)}");
            return Failed;
        }
    }

    /// <summary>Runs a step that must work for the command to start (loading a model, planning the inputs): any
    /// failure is a <see cref="UsageException"/> naming <paramref name="file"/> (when given) and the reason.</summary>
    public static T Start<T>(string? file, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is not (UsageException or OperationCanceledException))
        {
            string reason = FileBatch.Reason(e);
            throw new UsageException(file is null ? reason : FileBatch.FailureLine(file, reason), e);
        }
    }

    /// <summary>Reports one batch result that needs the user's attention (a failure or a collision) as one line.</summary>
    public static void Report(FileBatchResult result, TextWriter stderr)
    {
        if (result.Status is FileBatchStatus.Failed or FileBatchStatus.SkippedCollision) stderr.WriteLine(result.Line);
    }

    /// <summary>The exit code of a batch, with the line that says why it is not 0.</summary>
    public static int ExitCode(FileBatchReport report, string what, TextWriter stderr)
    {
        if (report.Results.Count == 0) stderr.WriteLine($"error: no {what} found.");
        else if (report.Failed > 0) stderr.WriteLine($"error: {report.Failed} of {report.Results.Count} {what} failed (listed above).");
        return report.ExitCode;
    }
}
