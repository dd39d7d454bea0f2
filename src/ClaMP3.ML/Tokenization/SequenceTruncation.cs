namespace ClaMP3.ML.Tokenization;

/// <summary>Which window of an over-long input the official training code keeps (<c>random_truncate</c> choices).</summary>
public enum SequenceTruncation
{
    /// <summary>The first items (<c>x[:L]</c>): the end marker is lost. Eval mode always uses this.</summary>
    Head,
    /// <summary>The last items (<c>x[-L:]</c>): the start marker is lost.</summary>
    Tail,
    /// <summary><c>x[s:s+L]</c> with <c>s = random.randint(1, N - L)</c>: never starts at 0.</summary>
    Middle,
}

/// <summary>The official truncation of token ids, patches and audio rows (<c>random_truncate</c> in the training
/// scripts, <c>truncate</c> in <c>M3Patchilizer.encode</c>): applied after the start/end markers were added.</summary>
public static class SequenceTruncations
{
    /// <summary>Returns <paramref name="items"/> itself when it is not longer than <paramref name="maxLength"/>, else the chosen window.</summary>
    public static T[] Apply<T>(T[] items, int maxLength, SequenceTruncation truncation, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (items.Length <= maxLength) return items;
        int start = truncation switch
        {
            SequenceTruncation.Head => 0,
            SequenceTruncation.Tail => items.Length - maxLength,
            SequenceTruncation.Middle => (random ?? throw new ArgumentNullException(nameof(random), "middle truncation draws its start at random"))
                .Next(1, items.Length - maxLength + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(truncation), truncation, null),
        };
        return items.AsSpan(start, maxLength).ToArray();
    }
}
