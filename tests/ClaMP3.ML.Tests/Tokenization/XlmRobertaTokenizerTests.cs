using System.Text.Json;
using ClaMP3.ML.IO;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Tokenization;

[TestClass]
public class XlmRobertaTokenizerTests
{
    private static readonly Lazy<XlmRobertaTokenizer> Tokenizer =
        new(() => XlmRobertaTokenizer.Load(TestPaths.Fixture("tokenizer", "spm.model")));

    private sealed record TokenizationCase(string Name, string Text, int[] Ids);

    private static List<TokenizationCase> LoadCases()
    {
        var cases = new List<TokenizationCase>();
        foreach (var line in File.ReadLines(TestPaths.Fixture("tokenizer", "tokenization.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var root = JsonDocument.Parse(line).RootElement;
            cases.Add(new TokenizationCase(root.GetProperty("name").GetString()!, root.GetProperty("text").GetString()!,
                root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
        }
        return cases;
    }

    /// <summary>Null when equal, else a description of the first differing position.</summary>
    internal static string? Difference(IReadOnlyList<long> expected, IReadOnlyList<long> actual)
    {
        int n = Math.Min(expected.Count, actual.Count);
        int p = 0;
        while (p < n && expected[p] == actual[p]) p++;
        if (p == n && expected.Count == actual.Count) return null;
        string Window(IReadOnlyList<long> ids) => string.Join(",", ids.Skip(Math.Max(0, p - 3)).Take(8));
        return $"first difference at position {p} (expected length {expected.Count}, actual {actual.Count}): "
             + $"expected …[{Window(expected)}]… actual …[{Window(actual)}]…";
    }

    [TestMethod]
    public void EveryFixtureCaseMatchesExactly()
    {
        var cases = LoadCases();
        Assert.AreEqual(62, cases.Count, "tokenization.jsonl case count");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var actual = Tokenizer.Value.Encode(c.Text);
            var diff = Difference(c.Ids.Select(i => (long)i).ToArray(), actual.Select(i => (long)i).ToArray());
            if (diff != null) failures.Add($"{c.Name} ({JsonSerializer.Serialize(c.Text)[..Math.Min(60, JsonSerializer.Serialize(c.Text).Length)]}): {diff}");
        }
        Assert.IsEmpty(failures, $"{failures.Count} of {cases.Count} cases differ:\n" + string.Join("\n", failures));
    }

    [TestMethod]
    public void WithoutSpecialTokensOmitsOnlyTheWrappingIds()
    {
        foreach (var c in LoadCases())
            CollectionAssert.AreEqual(c.Ids[1..^1], Tokenizer.Value.Encode(c.Text, addSpecialTokens: false), c.Name);
    }

    [TestMethod]
    public void IdLayoutFollowsFairseq()
    {
        var tokenizer = Tokenizer.Value;
        Assert.AreEqual(1000, tokenizer.SentencePieceCount);
        Assert.AreEqual(1002, tokenizer.VocabularySize, "config.json text.vocab_size");
        Assert.AreEqual(1001, tokenizer.MaskId, "config.json text.mask_token_id");
        CollectionAssert.AreEqual(new[] { 0, 2 }, tokenizer.Encode(""));
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 2, 3, 1001, 2 }, tokenizer.Encode("<s><pad></s><unk><mask>"));
    }

    [TestMethod]
    public void ConcurrentEncodingGivesTheSameIds()
    {
        var cases = LoadCases();
        var tokenizer = Tokenizer.Value;
        var results = new int[cases.Count * 8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => results[i] = tokenizer.Encode(cases[i % cases.Count].Text));
        for (int i = 0; i < results.Length; i++) CollectionAssert.AreEqual(cases[i % cases.Count].Ids, results[i], cases[i % cases.Count].Name);
    }

    [TestMethod]
    public void Clamp3TinyTextInputsGiveTheExpectedIds()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("clamp3-tiny", "manifest.json")));
        int checkedCases = 0;
        foreach (var c in manifest.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("kind").GetString() != "text") continue;
            string name = c.GetProperty("name").GetString()!;
            string input = TestPaths.Fixture("clamp3-tiny", c.GetProperty("input").GetString()!);
            string joined = XlmRobertaTokenizer.BuildTextInput(SourceText.ReadFile(input));
            Assert.AreEqual(c.GetProperty("joined_text").GetString(), joined, $"{name}: joined text");

            var expected = NpyFile.Read(TestPaths.Fixture("clamp3-tiny", c.GetProperty("files").GetProperty("ids").GetString()!));
            var actual = Tokenizer.Value.Encode(joined);
            Assert.AreEqual(c.GetProperty("length").GetInt32(), actual.Length, $"{name}: length");
            var diff = Difference(expected.ToInt64(), actual.Select(i => (long)i).ToArray());
            Assert.IsNull(diff, $"{name}: {diff}");
            checkedCases++;
        }
        Assert.AreEqual(9, checkedCases, "text cases in the manifest");
    }

    [TestMethod]
    public void BuildTextInputDeduplicatesInFirstOccurrenceOrderAndDropsEmptyLines()
    {
        Assert.AreEqual("b</s>a</s> </s>a ", XlmRobertaTokenizer.BuildTextInput("b\r\na\n\nb\r \na \n\na"));
        Assert.AreEqual("", XlmRobertaTokenizer.BuildTextInput("\n\n"));
    }

    [TestMethod]
    public void MissingFileErrorNamesThePath()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "sentencepiece.bpe.model");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => XlmRobertaTokenizer.Load(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void NonSentencepieceFileErrorNamesThePath()
    {
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "not-a-model.model");
        File.WriteAllText(path, "this is a text file, not a protobuf\n");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => XlmRobertaTokenizer.Load(path));
        StringAssert.Contains(e.Message, path);

        var vocab = Path.Combine(tmp.Path, "spm.vocab");
        File.Copy(TestPaths.Fixture("tokenizer", "spm.vocab"), vocab);
        e = Assert.ThrowsExactly<InvalidDataException>(() => XlmRobertaTokenizer.Load(vocab));
        StringAssert.Contains(e.Message, vocab);
    }

    [TestMethod]
    public void NonUnigramModelIsRejectedWithTheFileName()
    {
        // A hand-made ModelProto: pieces <unk>, <s>, </s>, "a" and a trainer_spec with model_type = BPE (2).
        static byte[] Field(int number, byte[] payload) => [(byte)(number << 3 | 2), (byte)payload.Length, .. payload];
        static byte[] Piece(string text, int type) => Field(1, [.. Field(1, System.Text.Encoding.UTF8.GetBytes(text)), 3 << 3, (byte)type]);
        byte[] model = [.. Piece("<unk>", 2), .. Piece("<s>", 3), .. Piece("</s>", 3), .. Piece("a", 1), .. Field(2, [3 << 3, 2])];
        using var tmp = TestPaths.NewTempDir();
        var path = Path.Combine(tmp.Path, "bpe.model");
        File.WriteAllBytes(path, model);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => XlmRobertaTokenizer.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "unigram");
    }
}
