using System.CommandLine;
using ClaMP3.ML.IO;

namespace ClaMP3.Cli;

/// <summary>The <c>--shard I/N</c> option shared by embed, mert and convert (see <see cref="ShardSpec"/>).</summary>
internal static class ShardOption
{
    public static Option<string?> Create() => new("--shard")
    {
        Description = "Take shard I of N (0-based) of the sorted inputs: item k goes to shard k mod N (for job arrays: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).",
    };

    /// <summary>Null when the option was not given; a malformed spec is a <see cref="UsageException"/> (exit 2, one line).</summary>
    public static ShardSpec? Parse(string? text)
    {
        if (text is null) return null;
        return ShardSpec.TryParse(text, out var spec, out var error) ? spec : throw new UsageException(error);
    }
}
