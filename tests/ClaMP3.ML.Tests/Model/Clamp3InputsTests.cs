using ClaMP3.ML.Inference;
using ClaMP3.ML.Tokenization;

namespace ClaMP3.ML.Tests.Model;

[TestClass]
public class Clamp3InputsTests
{
    [TestMethod]
    public void SegmentPlanAndWeightsMatchEveryManifestCase()
    {
        foreach (var c in Clamp3Fixture.Cases)
        {
            var plan = Clamp3Inputs.PlanSegments(c.Length, c.MaxLength);
            var ranges = plan.Select(s => new[] { s.Start, s.Start + s.Length }).ToArray();
            Assert.AreEqual(c.ChunkRanges.Length, ranges.Length, $"{c}: chunk count");
            for (int k = 0; k < ranges.Length; k++)
                CollectionAssert.AreEqual(c.ChunkRanges[k], ranges[k], $"{c}: chunk {k}");
            CollectionAssert.AreEqual(c.ChunkWeights, Clamp3Inputs.SegmentWeights(c.Length, c.MaxLength), $"{c}: weights");
        }
    }

    [TestMethod]
    public void TextJoinMatchesTheManifestForEveryTextCase()
    {
        var texts = Clamp3Fixture.Cases.Where(c => c.Modality == "text").ToList();
        Assert.IsTrue(texts.Count >= 9);
        foreach (var c in texts)
            Assert.AreEqual(c.JoinedText, XlmRobertaTokenizer.BuildTextInput(SourceText.ReadFile(Clamp3Fixture.PathOf(c.Input))), c.ToString());
    }

    [TestMethod]
    public void SequenceKeepsTheRemainderOfTheLastSegment()
    {
        Assert.AreEqual(1, Clamp3Inputs.RowsKeptFromLastSegment(33, 32, 32));
        Assert.AreEqual(32, Clamp3Inputs.RowsKeptFromLastSegment(64, 32, 32));
        Assert.AreEqual(17, Clamp3Inputs.RowsKeptFromLastSegment(17, 32, 17));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Clamp3Inputs.PlanSegments(0, 32));
    }

    [TestMethod]
    public void AudioRowsAreFramedByOneZeroRowEachSide()
    {
        var framed = Clamp3Inputs.FrameAudioRows(new float[] { 1, 2, 3, 4 }, 2, 2);
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, 2, 3, 4, 0, 0 }, framed);
    }

    [TestMethod]
    public void BarlessAbcIsReportedAndMtfIsNot()
    {
        Assert.IsNotNull(Clamp3Inputs.DescribeBarlessAbc("X:1\nT:t\nK:G\nABcd efga\n"));
        Assert.IsNull(Clamp3Inputs.DescribeBarlessAbc("X:1\nK:G\nABcd|efga|\n"));
        Assert.IsNull(Clamp3Inputs.DescribeBarlessAbc("ticks_per_beat 480\nnote_on 0 0 60 64"));
        Assert.IsTrue(Clamp3Inputs.LooksLikeMtf("ticks_per_beat 480\nnote_on 0 0 60 64"));
        Assert.IsFalse(Clamp3Inputs.LooksLikeMtf("X:1\nticks_per_beat 480"));
    }

}
