using System.Globalization;

namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>
/// Random sorted-set commands over <see cref="CommandStream"/>'s small key space (so they meet each other's keys and
/// the string keys of other generators): valid and invalid scores, ranges, options and their syntax errors.
/// Random-result commands (ZRANDMEMBER) are left to shape tests. Reusable by a mixed-type stream. A wide stream
/// draws from hundreds of members (some around the 64-byte listpack value limit) and sometimes adds dozens at
/// once, so sets cross the listpack thresholds and turn into skiplists; the default stream keeps them listpacks.
/// </summary>
public static class SortedSetCommandGenerator
{
    private static readonly string[] Members = ["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "", "m1", "m10", "m2"];

    private static readonly string[] Scores = ["0", "1", "2", "2.5", "-1", "-3.75", "10", "100", "inf", "-inf", "1e300", "0.1", "-0", "3"];

    private static readonly string[] ScoreBounds = ["-inf", "+inf", "0", "1", "(1", "2", "(2.5", "10", "(10", "-1", "abc", "(", "", "nan", "5"];

    private static readonly string[] LexBounds = ["-", "+", "[a", "(a", "[c", "(c", "[m1", "(m2", "[", "(", "a", "++", "[zz"];

    private static readonly string[] Names =
    [
        "ZADD", "ZADD", "ZADD", "ZINCRBY", "ZREM", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZCOUNT", "ZLEXCOUNT",
        "ZRANGE", "ZRANGE", "ZRANGESTORE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX",
        "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "ZMPOP", "ZUNION", "ZINTER", "ZDIFF",
        "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD", "ZSCAN", "SET", "TYPE", "OBJECT",
    ];

    private static readonly string[] WideLexBounds = ["-", "+", "[w1", "(w1", "[w15", "(w150", "[w5", "(w99", "[L", "(L64", "[", "(", "[zz"];

    // Members 62 to 67 bytes long, either side of zset-max-listpack-value's default of 64.
    private static readonly string[] LongMembers = [.. Enumerable.Range(62, 6).Select(n => "L" + n.ToString(CultureInfo.InvariantCulture) + new string('x', n - 3))];

    /// <summary>One random command (name first); <paramref name="wide"/> picks from many members (see the type's remarks).</summary>
    public static object[] Next(CommandStream s, bool wide = false)
    {
        string[] lexBounds = wide ? WideLexBounds : LexBounds;
        string name = wide && s.Chance(0.25) ? "ZADD" : s.Pick(Names);
        string key = s.Key();
        var args = new List<object> { s.Word(name) };
        switch (name)
        {
            case "ZADD":
                args.Add(key);
                foreach (var option in new[] { "NX", "XX", "GT", "LT", "CH", "INCR" })
                {
                    if (s.Chance(0.12))
                    {
                        args.Add(s.Word(option));
                    }
                }

                int pairs = s.Chance(0.8) ? 1 + s.Random.Next(wide && s.Chance(0.3) ? 80 : 4) : 0;
                for (int i = 0; i < pairs; i++)
                {
                    args.Add(Score(s));
                    args.Add(Member(s, wide));
                }

                if (s.Chance(0.05))
                {
                    args.Add(Score(s));
                }

                break;
            case "ZINCRBY":
                args.AddRange([key, Score(s), Member(s, wide)]);
                break;
            case "ZREM" or "ZMSCORE":
                args.Add(key);
                args.AddRange(Enumerable.Range(0, 1 + s.Random.Next(3)).Select(_ => (object)Member(s, wide)));
                break;
            case "ZCARD" or "TYPE":
                args.Add(key);
                break;
            case "OBJECT":
                args.AddRange(["ENCODING", key]);
                break;
            case "SET":
                args.AddRange([key, s.Value()]);
                break;
            case "ZSCORE" or "ZRANK" or "ZREVRANK":
                args.AddRange([key, Member(s, wide)]);
                break;
            case "ZCOUNT" or "ZREMRANGEBYSCORE":
                args.AddRange([key, s.Pick(ScoreBounds), s.Pick(ScoreBounds)]);
                break;
            case "ZLEXCOUNT" or "ZREMRANGEBYLEX":
                args.AddRange([key, s.Pick(lexBounds), s.Pick(lexBounds)]);
                break;
            case "ZREMRANGEBYRANK" or "ZREVRANGE":
                args.AddRange([key, Rank(s), Rank(s)]);
                if (name == "ZREVRANGE" && s.Chance(0.4))
                {
                    args.Add(s.Word("WITHSCORES"));
                }

                break;
            case "ZRANGE" or "ZRANGESTORE":
            {
                if (name == "ZRANGESTORE")
                {
                    args.Add(s.Key());
                }

                args.Add(key);
                int kind = s.Random.Next(3);
                args.AddRange(kind switch
                {
                    0 => [Rank(s), Rank(s)],
                    1 => [s.Pick(ScoreBounds), s.Pick(ScoreBounds)],
                    _ => new object[] { s.Pick(lexBounds), s.Pick(lexBounds) },
                });
                if (kind == 1 || (kind == 0 && s.Chance(0.05)))
                {
                    args.Add(s.Word("BYSCORE"));
                }
                else if (kind == 2 || s.Chance(0.05))
                {
                    args.Add(s.Word("BYLEX"));
                }

                AddRangeOptions(s, args, withScores: name == "ZRANGE", rev: true);
                break;
            }

            case "ZRANGEBYSCORE" or "ZREVRANGEBYSCORE":
                args.AddRange([key, s.Pick(ScoreBounds), s.Pick(ScoreBounds)]);
                AddRangeOptions(s, args, withScores: true, rev: false);
                break;
            case "ZRANGEBYLEX" or "ZREVRANGEBYLEX":
                args.AddRange([key, s.Pick(lexBounds), s.Pick(lexBounds)]);
                AddRangeOptions(s, args, withScores: s.Chance(0.1), rev: false);
                break;
            case "ZPOPMIN" or "ZPOPMAX":
                args.Add(key);
                if (s.Chance(0.6))
                {
                    args.Add(s.Pick("0", "1", "2", "5", "-1", "abc"));
                }

                break;
            case "ZMPOP":
            {
                int n = 1 + s.Random.Next(3);
                args.Add(s.Chance(0.9) ? n.ToString(CultureInfo.InvariantCulture) : s.Pick("0", "-1", "abc", "9"));
                for (int i = 0; i < n; i++)
                {
                    args.Add(s.Key());
                }

                args.Add(s.Word(s.Pick("MIN", "MAX", "MID")));
                if (s.Chance(0.5))
                {
                    args.AddRange([s.Word("COUNT"), s.Pick("1", "2", "10", "0", "-1", "abc")]);
                }

                break;
            }

            case "ZUNION" or "ZINTER" or "ZDIFF" or "ZUNIONSTORE" or "ZINTERSTORE" or "ZDIFFSTORE" or "ZINTERCARD":
            {
                if (name.EndsWith("STORE", StringComparison.Ordinal))
                {
                    args.Add(s.Key());
                }

                int n = 1 + s.Random.Next(3);
                args.Add(s.Chance(0.92) ? n.ToString(CultureInfo.InvariantCulture) : s.Pick("0", "-1", "abc", "5"));
                for (int i = 0; i < n; i++)
                {
                    args.Add(s.Key());
                }

                if (s.Chance(0.3))
                {
                    args.Add(s.Word("WEIGHTS"));
                    for (int i = 0; i < n; i++)
                    {
                        args.Add(s.Pick("1", "2", "-1", "0", "0.5", "inf", "abc"));
                    }
                }

                if (s.Chance(0.3))
                {
                    args.AddRange([s.Word("AGGREGATE"), s.Pick("SUM", "MIN", "MAX", "avg")]);
                }

                if (s.Chance(0.3))
                {
                    args.Add(s.Word("WITHSCORES"));
                }

                if (name == "ZINTERCARD" && s.Chance(0.4))
                {
                    args.AddRange([s.Word("LIMIT"), s.Pick("0", "1", "3", "-1")]);
                }

                break;
            }

            case "ZSCAN":
                args.AddRange([key, s.Pick("0", "0", "abc")]);
                if (s.Chance(0.3))
                {
                    args.AddRange([s.Word("MATCH"), s.Pick("*", "a*", "m?", "[a-c]")]);
                }

                break;
        }

        return [.. args];
    }

    private static string Member(CommandStream s, bool wide) =>
        !wide ? s.Pick(Members) : s.Chance(0.03) ? s.Pick(LongMembers) : "w" + s.Random.Next(200).ToString(CultureInfo.InvariantCulture);

    private static object Score(CommandStream s) => s.Chance(0.9) ? s.Pick(Scores) : s.Pick("abc", "nan", "", "1e400", "0x10", " 1");

    private static object Rank(CommandStream s) => s.Pick("0", "1", "2", "-1", "-2", "5", "100", "-100", "abc");

    private static void AddRangeOptions(CommandStream s, List<object> args, bool withScores, bool rev)
    {
        if (withScores && s.Chance(0.4))
        {
            args.Add(s.Word("WITHSCORES"));
        }

        if (rev && s.Chance(0.3))
        {
            args.Add(s.Word("REV"));
        }

        if (s.Chance(0.3))
        {
            args.AddRange([s.Word("LIMIT"), s.Pick("0", "1", "-1", "2", "abc"), s.Pick("1", "2", "-1", "0", "10")]);
        }
    }
}
