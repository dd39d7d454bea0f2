namespace ClaMP3.ML.MusicXml;

/// <summary>xml2abc.py's command-line options. <see cref="ClaMP3Preprocessing"/> is what CLaMP 3's
/// <c>batch_xml2abc.py</c> passes (<c>-d 8 -x</c>); <see cref="Default"/> is the script with no options.</summary>
public sealed record Xml2AbcOptions
{
    /// <summary><c>-u</c>: unfold simple repeats.</summary>
    public bool Unfold { get; init; }
    /// <summary><c>-m</c>: 0 no %%MIDI, 1 minimal %%MIDI, 2 all %%MIDI.</summary>
    public int Midi { get; init; }
    /// <summary><c>-c</c>: credit text filter level.</summary>
    public int CreditFilter { get; init; }
    /// <summary><c>-d</c>: unit length L:1/D (0 = computed per voice). Must be a power of two up to 512.</summary>
    public int UnitLength { get; init; }
    /// <summary><c>-n</c>: max characters per line (0 = default 100 unless <see cref="BarsPerLine"/> is set).</summary>
    public int CharsPerLine { get; init; }
    /// <summary><c>-b</c>: max bars per line.</summary>
    public int BarsPerLine { get; init; }
    /// <summary><c>-v</c>: volta typesetting behaviour.</summary>
    public int Volta { get; init; }
    /// <summary><c>-x</c>: output no line breaks (<c>$</c>) for new systems/pages.</summary>
    public bool NoLineBreaks { get; init; }
    /// <summary><c>-p</c>: page format, either one value (translate the score's own layout) or seven
    /// (scale, pageheight, pagewidth, leftmargin, rightmargin, topmargin, botmargin in cm).</summary>
    public IReadOnlyList<string> PageFormat { get; init; } = Array.Empty<string>();
    /// <summary><c>-j</c>: compatibility with the JavaScript version.</summary>
    public bool JavaScript { get; init; }
    /// <summary><c>--v1</c>: start-stop directions always to the first voice of the staff.</summary>
    public bool DirectionsToFirstVoice { get; init; }
    /// <summary><c>--noped</c> clears this: render pedal directions.</summary>
    public bool Pedal { get; init; } = true;
    /// <summary><c>--stems</c>: translate stem directions.</summary>
    public bool Stems { get; init; }

    public static Xml2AbcOptions Default { get; } = new();

    /// <summary>The options <c>batch_xml2abc.py</c> uses: <c>-d 8 -x</c>.</summary>
    public static Xml2AbcOptions ClaMP3Preprocessing { get; } = new() { UnitLength = 8, NoLineBreaks = true };

    internal void Validate()
    {
        if (CharsPerLine < 0 || BarsPerLine < 0) throw new ArgumentException("only values >= 0");
        if (UnitLength != 0 && (UnitLength < 0 || UnitLength > 512 || (UnitLength & (UnitLength - 1)) != 0))
            throw new ArgumentException("D should be on of 1,2,4,8,16,32,64,128,256,512");
    }
}
