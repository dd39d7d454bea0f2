using System.Diagnostics;

namespace ClaMP3.ML.Tests;

/// <summary>What a child process printed and how it ended.</summary>
internal sealed record ChildProcessResult(int Code, string Output, string Error)
{
    /// <summary>Standard output then standard error, for assertion messages.</summary>
    public string All => Output + Error;
}

/// <summary>The one way these tests run another program (clamp3, dotnet, python, the Slurm clients, audio encoders):
/// arguments passed one by one (no shell quoting), both streams read at once (a full pipe never stalls the child),
/// and an optional time limit after which the whole process tree is killed and the test fails naming the command.</summary>
internal static class ChildProcess
{
    /// <summary>The clamp3 executable built beside the tests.</summary>
    public static string Clamp3 => Path.Combine(AppContext.BaseDirectory, "clamp3");

    /// <summary>The dotnet host running these tests (what `dotnet test` sets), else dotnet on the PATH.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public static ChildProcessResult Run(string file, params string[] args) => Run(file, args, workingDirectory: null);

    public static ChildProcessResult Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (timeout is { } limit && !process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', start.ArgumentList.Take(3))}… did not finish within {limit} (hung?)");
        }
        process.WaitForExit();
        return new ChildProcessResult(process.ExitCode, output.Result, error.Result);
    }
}
