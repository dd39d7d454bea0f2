using System.CommandLine;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli;

/// <summary>The <c>--shard I/N</c> option shared by embed, mert and convert (see <see cref="ShardSpec"/>).</summary>
internal static class ShardOption
{
    public const int ExitUsage = 2;

    public static Option<string?> Create() => new("--shard")
    {
        Description = "Take shard I of N (0-based) of the sorted inputs: item k goes to shard k mod N (for job arrays: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).",
    };

    /// <summary>Null when the option was not given; false (after one error line) when it is malformed.</summary>
    public static bool TryGet(string? text, TextWriter stderr, out ShardSpec? spec)
    {
        spec = null;
        if (text is null) return true;
        if (!ShardSpec.TryParse(text, out var parsed, out var error)) { stderr.WriteLine("error: " + error); return false; }
        spec = parsed;
        return true;
    }
}
