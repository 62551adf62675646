using System.Text;
using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

/// <summary>
/// Both forms of the sorted set (the compact array and the skiplist) against a naive sorted list under random
/// inserts, score updates and deletes, and the conversions between them.
/// </summary>
public sealed class SortedSetTests
{
    private static int Order((double Score, byte[] Member) a, (double Score, byte[] Member) b)
    {
        int c = a.Score.CompareTo(b.Score);
        return c != 0 ? c : a.Member.AsSpan().SequenceCompareTo(b.Member);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void RanksSpansAndRangesMatchANaiveModel(int seed, bool listpack)
    {
        var random = new Random(seed);
        var set = new SortedSet(listpack);
        var model = new List<(double Score, byte[] Member)>();
        for (int step = 0; step < 6000; step++)
        {
            // Few distinct scores so ties (ordered by member bytes) are common.
            var member = Encoding.ASCII.GetBytes("m" + random.Next(800));
            double score = random.Next(40) / 4.0;
            int at = model.FindIndex(e => e.Member.AsSpan().SequenceEqual(member));
            int roll = random.Next(10);
            if (roll < 5)
            {
                if (at < 0)
                {
                    set.Insert(member, score);
                    model.Add((score, member));
                }
                else
                {
                    set.UpdateScore(set.Find(member), score);
                    model[at] = (score, member);
                }
            }
            else if (roll < 8)
            {
                Assert.Equal(at >= 0, set.Remove(member));
                if (at >= 0)
                {
                    model.RemoveAt(at);
                }
            }
            else if (set.Count > 0 && roll == 8)
            {
                // A run of ranks, as ZREMRANGEBYRANK removes it.
                int rank = random.Next(set.Count);
                int count = Math.Min(set.Count - rank, random.Next(4));
                model.Sort(Order);
                set.RemoveRange(set.AtRank(rank), count);
                model.RemoveRange(rank, count);
            }
            else if (set.Count > 0)
            {
                set.RemoveNode(set.AtRank(random.Next(set.Count)));
                model.Sort(Order);
                var members = new HashSet<string>();
                for (int x = set.First; x != 0; x = set.Next(x))
                {
                    members.Add(Encoding.ASCII.GetString(set.MemberAt(x)));
                }

                model.RemoveAll(e => !members.Contains(Encoding.ASCII.GetString(e.Member)));
            }

            if (step % 200 == 0)
            {
                set.Validate();
                CheckAgainst(set, model, random);
            }
        }

        set.Validate();
        CheckAgainst(set, model, random);
        Assert.Equal(listpack, set.IsCompact);
        var copy = set.Clone();
        copy.Validate();
        CheckAgainst(copy, model, random);
        Assert.Equal(listpack, copy.IsListpack);
    }

    [Fact]
    public void ConvertsBothWaysKeepingOrderAndDroppingTheSignOfZeroInAListpack()
    {
        var random = new Random(7);
        var set = new SortedSet(listpack: true);
        var model = new List<(double Score, byte[] Member)>();
        for (int i = 0; i < 100; i++)
        {
            var member = Encoding.ASCII.GetBytes("k" + i);
            double score = i == 50 ? -0.0 : random.Next(10) - 5;
            set.Insert(member, score);
            model.Add((score, member));
        }

        set.Validate();
        CheckAgainst(set, model, random);
        set.ConvertToSkiplist();
        Assert.False(set.IsListpack);
        Assert.False(set.IsCompact);
        set.Validate();
        CheckAgainst(set, model, random);
        set.ConvertToListpack();
        Assert.True(set.IsListpack);
        Assert.True(set.IsCompact);
        set.Validate();
        CheckAgainst(set, model, random);
        Assert.False(double.IsNegative(set.ScoreAt(set.Find("k50"u8))));
    }

    [Fact]
    public void TheCompactFormKeepsEveryScoreExactlyWhateverSizeItIsStoredIn()
    {
        double[] scores =
        [
            0, -0.0, 1, -1, 127, -128, 128, -129, 32767, -32768, 32768, -32769, int.MaxValue, int.MinValue,
            2147483648.0, -2147483649.0, 0.5, -1.25, 1e300, double.PositiveInfinity, double.NegativeInfinity, 1.7e12,
        ];
        var set = new SortedSet(listpack: true);
        for (int i = 0; i < scores.Length; i++)
        {
            set.Insert(Encoding.ASCII.GetBytes("s" + i), scores[i]);
        }

        set.Validate();
        for (int i = 0; i < scores.Length; i++)
        {
            double stored = set.ScoreAt(set.Find(Encoding.ASCII.GetBytes("s" + i)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(scores[i]), BitConverter.DoubleToInt64Bits(stored));
        }

        // Updates in place (same size) and by a move (another size), both ways.
        var random = new Random(5);
        for (int step = 0; step < 500; step++)
        {
            int i = random.Next(scores.Length);
            double score = scores[random.Next(scores.Length)];
            set.UpdateScore(set.Find(Encoding.ASCII.GetBytes("s" + i)), score);
            Assert.Equal(BitConverter.DoubleToInt64Bits(score), BitConverter.DoubleToInt64Bits(set.ScoreAt(set.Find(Encoding.ASCII.GetBytes("s" + i)))));
            set.Validate();
        }

        Assert.True(set.IsCompact);
    }

    [Fact]
    public void AListpackWhoseBytesOutgrowTheCompactArrayMovesToASkiplistButStaysAListpack()
    {
        var set = new SortedSet(listpack: true);
        var model = new List<(double Score, byte[] Member)>();
        for (int i = 0; i < 5; i++)
        {
            var member = new byte[20_000];
            member.AsSpan().Fill((byte)('a' + i));
            set.Insert(member, 5 - i);
            model.Add((5 - i, member));
        }

        Assert.True(set.IsListpack);
        Assert.False(set.IsCompact);
        set.Validate();
        CheckAgainst(set, model, new Random(1));
        var lex = new LexRange(-1, default, true, 1, default, true);
        Assert.Equal(model[0].Member, set.MemberAt(set.FirstInLexRange(lex)).ToArray());
    }

    private static void CheckAgainst(SortedSet set, List<(double Score, byte[] Member)> model, Random random)
    {
        model.Sort(Order);
        Assert.Equal(model.Count, set.Count);
        for (int rank = 0; rank < model.Count; rank++)
        {
            int node = set.AtRank(rank);
            Assert.Equal(model[rank].Member, set.MemberAt(node).ToArray());
            Assert.Equal(model[rank].Score, set.ScoreAt(node));
            Assert.Equal(rank, set.RankOf(set.Find(model[rank].Member)));
        }

        Assert.Equal(0, set.AtRank(model.Count));
        double min = random.Next(40) / 4.0, max = random.Next(40) / 4.0;
        bool minEx = random.Next(2) == 0, maxEx = random.Next(2) == 0;
        var range = new ScoreRange(min, minEx, max, maxEx);
        var inRange = model.Where(e => range.GteMin(e.Score) && range.LteMax(e.Score)).ToList();
        int first = set.FirstInRange(range), last = set.LastInRange(range);
        if (inRange.Count == 0)
        {
            Assert.Equal(0, first);
            Assert.Equal(0, last);
        }
        else
        {
            Assert.Equal(inRange[0].Member, set.MemberAt(first).ToArray());
            Assert.Equal(inRange[^1].Member, set.MemberAt(last).ToArray());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LexRangesFollowMemcmpOrder(bool listpack)
    {
        var set = new SortedSet(listpack);
        foreach (var m in new[] { "a", "aa", "ab", "b", "\u00ff", "" })
        {
            set.Insert(Encoding.Latin1.GetBytes(m), 0);
        }

        var all = new LexRange(-1, default, true, 1, default, true);
        Assert.Equal(""u8.ToArray(), set.MemberAt(set.FirstInLexRange(all)).ToArray());
        Assert.Equal(new byte[] { 0xff }, set.MemberAt(set.LastInLexRange(all)).ToArray());
        var range = new LexRange(0, "a"u8, true, 0, "b"u8, false);
        Assert.Equal("aa"u8.ToArray(), set.MemberAt(set.FirstInLexRange(range)).ToArray());
        Assert.Equal("b"u8.ToArray(), set.MemberAt(set.LastInLexRange(range)).ToArray());
        Assert.Equal(0, set.FirstInLexRange(new LexRange(0, "b"u8, true, 0, "b"u8, false)));
    }
}
