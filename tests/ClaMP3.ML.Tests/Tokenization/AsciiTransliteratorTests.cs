using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Tokenization;

[TestClass]
public class AsciiTransliteratorTests
{
    [TestMethod]
    public void AsciiTextIsReturnedUnchanged()
    {
        const string text = "X:1\nT:Tune\tname\r\n|: abc :|\u0001\u007f";
        Assert.AreSame(text, AsciiTransliterator.Transliterate(text));
    }

    [TestMethod]
    [DataRow("à é Ç ñ ô À ç ä ß ö ü", "a e C n o A c a ss o u")]
    [DataRow("© ® ¢ £ ¤ ¥ § · × Æ æ", "(c) (r) C/ PS $? Y= SS * x AE ae")]
    [DataRow("¼|½|¾", " 1/4| 1/2| 3/4")]
    [DataRow("a\u0080\u0085\u009fb", "ab")]                  // C1 controls are removed
    [DataRow("a\u00a0b\u00adc", "a bc")]                     // NBSP, soft hyphen (removed)
    [DataRow("«»¿¡°±", "<<>>?!deg+-")]
    [DataRow("“q” ‘s’ ‚ „ — – … ‣ ‧", "\"q\" 's' , ,, -- - ... *> .")]
    [DataRow("a\u2028b\u2029c\u200bd\ufeffe", "a\nb\n\nc d" + "e")]
    [DataRow("Þorn ð Ø", "Thorn d O")]
    [DataRow("Dvořák Janáček Lutosławski Œuvre Ŋŋ", "Dvorak Janacek Lutoslawski OEuvre ngNG")]
    public void MatchesUnidecodeOnTheFixtureRanges(string input, string expected) =>
        Assert.AreEqual(expected, AsciiTransliterator.Transliterate(input));

    [TestMethod]
    public void OutputIsAlwaysAscii()
    {
        var text = string.Concat(Enumerable.Range(0x80, 0x3000).Where(c => c is < 0xD800 or > 0xDFFF).Select(c => (char)c)) + "🎵𝄞";
        var result = AsciiTransliterator.Transliterate(text);
        var bad = result.FirstOrDefault(c => c >= 0x80);
        Assert.AreEqual('\0', bad, $"non-ASCII output U+{(int)bad:X4}");
    }
}
