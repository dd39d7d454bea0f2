namespace ClaMP3.ML.Preprocessing.Abc;

public static partial class AbcInterleaver
{
    /// <summary>The first warning of a tune written through our plain-ABC route starts with this.</summary>
    public const string PlainAbcWarningPrefix = "plain ABC";

    /// <summary>
    /// Converts one tune; with <paramref name="acceptPlainAbc"/>, a tune the official script rejects is rewritten by
    /// our plain-ABC addition (the missing <c>V:1</c> voice added, named voices numbered, voice blocks merged: see the
    /// folder's README) and converted again, so single-voice web tunes without <c>V:</c> lines become interleaved ABC.
    /// A tune the official script accepts is converted exactly as it does, whatever the flag; a tune written through
    /// the addition carries a first warning starting with <see cref="PlainAbcWarningPrefix"/>.
    /// </summary>
    /// <exception cref="ConversionRejectedException">Neither route can convert the tune; the message starts with the
    /// official reason and says what the tune lacks and what to do.</exception>
    public static InterleaveResult Convert(string standardAbc, bool acceptPlainAbc)
    {
        var official = Run(standardAbc);
        if (!official.IsRejected) return new InterleaveResult(official.Text!, official.Warnings);
        if (!acceptPlainAbc)
            throw new ConversionRejectedException(RejectionMessage(official) + " — " + AbcRejectionHints.Explain(official, plainAbcTried: false));
        if (PlainAbcNormalizer.Normalize(standardAbc) is not { } plain)
            throw new ConversionRejectedException(RejectionMessage(official) + " — " + AbcRejectionHints.NotAbc(standardAbc));

        var retry = Run(plain.Text, tolerateCheckErrors: true);
        if (retry.IsRejected)
            throw new ConversionRejectedException(RejectionMessage(official) + " — " + AbcRejectionHints.Explain(retry, plainAbcTried: true));
        var note = $"{PlainAbcWarningPrefix} made interleavable (our addition; the official converter rejects it: " +
                   $"{official.RejectionReason}): {string.Join("; ", plain.Changes)}";
        return new InterleaveResult(retry.Text!, [note, .. retry.Warnings]);
    }
}
