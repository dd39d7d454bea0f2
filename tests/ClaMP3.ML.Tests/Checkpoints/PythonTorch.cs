
namespace ClaMP3.ML.Tests.Checkpoints;

/// <summary>
/// Runs Debian's python3-torch (<c>/usr/bin/python3</c>) to check files against real <c>torch.load</c>/<c>torch.save</c>.
/// Tests that need it report Inconclusive where it is not installed (<c>apt-get install -y python3-torch</c>).
/// </summary>
internal static class PythonTorch
{
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} not found";
        var (code, _, err) = Exec("import torch", Array.Empty<string>());
        return code == 0 ? null : "python3-torch is not installed (" + err.Trim().Split('\n').Last() + ")";
    });

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/> as sys.argv[1:], returns stdout; fails the test on a non-zero exit.</summary>
    public static string Run(string script, params string[] args)
    {
        if (Missing.Value is { } why) Assert.Inconclusive($"Needs torch in {Python}: {why}.");
        var (code, output, error) = Exec(script, args);
        if (code != 0) Assert.Fail($"python exited with {code}:\n{error}");
        return output;
    }

    private static ChildProcessResult Exec(string script, string[] args) =>
        ChildProcess.Run(Python, ["-c", script, .. args], timeout: TimeSpan.FromMinutes(3));
}
