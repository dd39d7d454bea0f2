using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary><c>batch_midi2mtf.py</c> as an <see cref="IFileConverter"/>: <c>.mid</c>/<c>.midi</c> → <c>&lt;stem&gt;.mtf</c>
/// (UTF-8, no trailing newline). <see cref="ConverterOptions.M3Compatible"/> is <c>--m3_compatible</c>.</summary>
public sealed class Midi2MtfConverter : IFileConverter, IKnowsOutputName
{
    public string Name => "midi2mtf";
    public string Description => "MIDI (.mid, .midi) → MTF text, as batch_midi2mtf.py (mido 1.3.0); --m3-compatible drops text-like metas.";
    public IReadOnlyList<string> InputExtensions { get; } = [".mid", ".midi"];
    public string OutputFileName(string inputFileName) => BatchConverter.PythonStem(inputFileName) + ".mtf";

    public ConvertedFile Convert(string inputPath, ConverterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string mtf = MidiToMtf.Convert(File.ReadAllBytes(inputPath), options.M3Compatible);
        return new ConvertedFile(".mtf", Encoding.UTF8.GetBytes(mtf), []);
    }
}

/// <summary><c>batch_mtf2midi.py</c> as an <see cref="IFileConverter"/>: <c>.mtf</c> → <c>&lt;stem&gt;.mid</c>.</summary>
public sealed class Mtf2MidiConverter : IFileConverter, IKnowsOutputName
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Name => "mtf2midi";
    public string Description => "MTF text (.mtf) → MIDI, as batch_mtf2midi.py (mido 1.3.0 MidiFile.save, one track).";
    public IReadOnlyList<string> InputExtensions { get; } = [".mtf"];
    public string OutputFileName(string inputFileName) => BatchConverter.PythonStem(inputFileName) + ".mid";

    public ConvertedFile Convert(string inputPath, ConverterOptions options)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(File.ReadAllBytes(inputPath));
        }
        catch (DecoderFallbackException e)
        {
            throw new ConversionRejectedException("'utf-8' codec can't decode the file: " + e.Message, e);
        }
        return new ConvertedFile(".mid", MtfToMidi.Convert(text), []);
    }
}
