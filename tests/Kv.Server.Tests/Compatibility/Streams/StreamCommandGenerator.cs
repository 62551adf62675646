using System.Globalization;

namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>How the replies to a generated stream command are compared.</summary>
public enum StreamReplyKind
{
    /// <summary>Byte for byte.</summary>
    Exact,

    /// <summary>Idle times and delivery/seen timestamps differ between two servers: they are blanked before comparing.</summary>
    Timed,
}

/// <summary>
/// Random stream commands for seeded compatibility streams. IDs are explicit (<c>ms-seq</c> or <c>ms-*</c>,
/// with ms growing with the step) so both servers generate the same ones; idle-time arguments are 0 or
/// huge so which entries qualify does not depend on timing.
/// </summary>
public static class StreamCommandGenerator
{
    private static readonly string[] Fields = ["a", "b", "c", "field", "", "n"];

    private static readonly string[] Groups = ["g1", "g2", "nogroup"];

    private static readonly string[] Consumers = ["c1", "c2", "c3", "c4"];

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    public static string Key(CommandStream s) => s.Chance(0.06) ? "str" : "st" + N(s.Random.Next(3));

    /// <summary>An ID near the stream's present (the step), often one that exists, sometimes malformed or special.</summary>
    public static string Id(CommandStream s, int step)
    {
        double roll = s.Random.NextDouble();
        if (roll < 0.75)
        {
            long ms = Math.Max(0, step - s.Random.Next(0, 60));
            return s.Chance(0.2) ? N(ms) : N(ms) + "-" + N(s.Random.Next(0, 3));
        }

        return s.Pick("0", "0-0", "0-1", "-", "+", "abc", "1-abc", "18446744073709551615-18446744073709551615", "18446744073709551616", "-1", "1-2-3", " 5", "+5", "99999999", "5-*");
    }

    private static string IntervalId(CommandStream s, int step) => s.Chance(0.2) ? "(" + Id(s, step) : Id(s, step);

    private static string Idle(CommandStream s) => s.Pick("0", "0", "100000000000", "-5", "abc");

    public static (object[] Args, StreamReplyKind Kind) Next(CommandStream s, int step)
    {
        int roll = s.Random.Next(100);
        string key = Key(s);
        return roll switch
        {
            < 26 => (Add(s, key, step), StreamReplyKind.Exact),
            < 31 => ([s.Word("XRANGE"), key, IntervalId(s, step), IntervalId(s, step), .. Count(s)], StreamReplyKind.Exact),
            < 34 => ([s.Word("XREVRANGE"), key, IntervalId(s, step), IntervalId(s, step), .. Count(s)], StreamReplyKind.Exact),
            < 36 => ([s.Word("XLEN"), key], StreamReplyKind.Exact),
            < 40 => ([s.Word("XDEL"), key, .. Ids(s, step, 1, 3)], StreamReplyKind.Exact),
            < 43 => ([s.Word("XTRIM"), key, .. Trim(s, step, forXTrim: true)], StreamReplyKind.Exact),
            < 48 => (GroupCommand(s, key, step), StreamReplyKind.Exact),
            < 58 => (ReadGroup(s, key, step), StreamReplyKind.Exact),
            < 62 => (Read(s, key, step), StreamReplyKind.Exact),
            < 67 => ([s.Word("XACK"), key, s.Pick(Groups), .. Ids(s, step, 1, 4)], StreamReplyKind.Exact),
            < 72 => Pending(s, key, step),
            < 76 => (Claim(s, key, step), StreamReplyKind.Exact),
            < 80 => (AutoClaim(s, key, step), StreamReplyKind.Exact),
            < 88 => Info(s, key),
            < 90 => (SetId(s, key, step), StreamReplyKind.Exact),
            < 92 => ([s.Word("TYPE"), key], StreamReplyKind.Exact),
            < 93 => ([s.Word("OBJECT"), s.Word("ENCODING"), key], StreamReplyKind.Exact),
            < 94 => ([s.Word("DEL"), key], StreamReplyKind.Exact),
            < 95 => ([s.Word("SET"), "str", s.Value()], StreamReplyKind.Exact),
            < 97 => ([s.Word("COPY"), key, Key(s), .. s.Chance(0.5) ? new object[] { s.Word("REPLACE") } : []], StreamReplyKind.Exact),
            _ => ([s.Word("EXISTS"), key], StreamReplyKind.Exact),
        };
    }

    private static object[] Count(CommandStream s) => s.Chance(0.5) ? [s.Word("COUNT"), s.Pick("0", "1", "2", "5", "-1", "abc", "100")] : [];

    private static object[] Ids(CommandStream s, int step, int min, int max)
    {
        int n = s.Random.Next(min, max + 1);
        var ids = new object[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = Id(s, step);
        }

        return ids;
    }

    private static object[] Trim(CommandStream s, int step, bool forXTrim)
    {
        var args = new List<object>();
        if (!forXTrim && s.Chance(0.7))
        {
            return [];
        }

        bool minId = s.Chance(0.35);
        args.Add(s.Word(minId ? "MINID" : "MAXLEN"));
        if (s.Chance(0.5))
        {
            args.Add(s.Pick("~", "=", "~", "~"));
        }

        args.Add(minId ? Id(s, step) : s.Pick("0", "1", "5", "20", "50", "100", "150", "-1", "abc", N(s.Random.Next(0, 300))));
        if (s.Chance(0.2))
        {
            args.Add(s.Word("LIMIT"));
            args.Add(s.Pick("0", "1", "50", "100", "-1", "abc"));
        }

        if (s.Chance(0.03))
        {
            args.Add(s.Word(minId ? "MAXLEN" : "MINID"));
            args.Add("5");
        }

        return [.. args];
    }

    private static object[] Add(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XADD"), key };
        if (s.Chance(0.08))
        {
            args.Add(s.Word("NOMKSTREAM"));
        }

        args.AddRange(Trim(s, step, forXTrim: false));
        args.Add(s.Chance(0.5) ? N(step) + "-*" : s.Chance(0.9) ? N(step) + "-" + N(s.Random.Next(0, 3)) : Id(s, step));
        int pairs = s.Random.Next(1, 4);
        bool sameFields = s.Chance(0.6);
        for (int i = 0; i < pairs; i++)
        {
            args.Add(sameFields ? Fields[i] : s.Pick(Fields));
            args.Add(s.Chance(0.03) ? new string('v', s.Random.Next(500, 2000)) : s.Value());
        }

        if (s.Chance(0.03))
        {
            args.RemoveAt(args.Count - 1);
        }

        return [.. args];
    }

    private static object[] GroupCommand(CommandStream s, string key, int step)
    {
        string group = s.Pick(Groups);
        return s.Random.Next(10) switch
        {
            < 4 => [s.Word("XGROUP"), s.Word("CREATE"), key, group, s.Pick("$", "0", Id(s, step)),
                .. s.Chance(0.4) ? new object[] { s.Word("MKSTREAM") } : [],
                .. s.Chance(0.2) ? new object[] { s.Word("ENTRIESREAD"), s.Pick("0", "3", "-1", "-2", "abc", "1000") } : []],
            5 => [s.Word("XGROUP"), s.Word("SETID"), key, group, s.Pick("$", "0", Id(s, step)),
                .. s.Chance(0.3) ? new object[] { s.Word("ENTRIESREAD"), s.Pick("0", "3", "-1", "-2", "abc") } : []],
            6 => [s.Word("XGROUP"), s.Word("CREATECONSUMER"), key, group, s.Pick(Consumers)],
            7 => [s.Word("XGROUP"), s.Word("DELCONSUMER"), key, group, s.Pick(Consumers)],
            8 => [s.Word("XGROUP"), s.Word("DESTROY"), key, group],
            _ => [s.Word("XGROUP"), s.Word(s.Pick("HELP", "CREATE", "NOPE"))],
        };
    }

    private static object[] ReadGroup(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XREADGROUP"), s.Word("GROUP"), s.Chance(0.9) ? s.Pick("g1", "g2") : "nogroup", s.Pick(Consumers) };
        if (s.Chance(0.6))
        {
            args.Add(s.Word("COUNT"));
            args.Add(s.Pick("1", "2", "3", "10", "0", "-1"));
        }

        if (s.Chance(0.15))
        {
            args.Add(s.Word("NOACK"));
        }

        args.Add(s.Word("STREAMS"));
        bool two = s.Chance(0.15);
        args.Add(key);
        if (two)
        {
            args.Add(key == "st0" ? "st1" : "st0");
        }

        args.Add(s.Chance(0.75) ? ">" : s.Pick("0", "0-0", Id(s, step), "$"));
        if (two)
        {
            args.Add(s.Chance(0.8) ? ">" : "0");
        }

        return [.. args];
    }

    private static object[] Read(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XREAD") };
        if (s.Chance(0.5))
        {
            args.Add(s.Word("COUNT"));
            args.Add(s.Pick("1", "2", "5", "0", "-3", "abc"));
        }

        args.Add(s.Word("STREAMS"));
        args.Add(key);
        bool two = s.Chance(0.3);
        if (two)
        {
            args.Add(Key(s));
        }

        args.Add(s.Chance(0.1) ? "$" : s.Chance(0.1) ? ">" : Id(s, step));
        if (two)
        {
            args.Add(Id(s, step));
        }

        if (s.Chance(0.03))
        {
            args.RemoveAt(args.Count - 1);
        }

        return [.. args];
    }

    private static (object[] Args, StreamReplyKind Kind) Pending(CommandStream s, string key, int step)
    {
        string group = s.Chance(0.9) ? s.Pick("g1", "g2") : "nogroup";
        if (s.Chance(0.35))
        {
            return ([s.Word("XPENDING"), key, group], StreamReplyKind.Exact);
        }

        var args = new List<object> { s.Word("XPENDING"), key, group };
        if (s.Chance(0.3))
        {
            args.Add(s.Word("IDLE"));
            args.Add(Idle(s));
        }

        args.Add(s.Chance(0.6) ? "-" : IntervalId(s, step));
        args.Add(s.Chance(0.6) ? "+" : IntervalId(s, step));
        args.Add(s.Pick("1", "3", "10", "100", "0", "-1", "abc"));
        if (s.Chance(0.3))
        {
            args.Add(s.Pick(Consumers));
        }

        return ([.. args], StreamReplyKind.Timed);
    }

    private static object[] Claim(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XCLAIM"), key, s.Chance(0.9) ? s.Pick("g1", "g2") : "nogroup", s.Pick(Consumers), Idle(s) };
        args.AddRange(Ids(s, step, 1, 3));
        if (s.Chance(0.2))
        {
            args.Add(s.Word("IDLE"));
            args.Add(s.Pick("0", "100000000000", "abc"));
        }

        if (s.Chance(0.1))
        {
            args.Add(s.Word("TIME"));
            args.Add(s.Pick("1", "abc"));
        }

        if (s.Chance(0.2))
        {
            args.Add(s.Word("RETRYCOUNT"));
            args.Add(s.Pick("0", "5", "abc"));
        }

        if (s.Chance(0.2))
        {
            args.Add(s.Word("FORCE"));
        }

        if (s.Chance(0.3))
        {
            args.Add(s.Word("JUSTID"));
        }

        if (s.Chance(0.1))
        {
            args.Add(s.Word("LASTID"));
            args.Add(Id(s, step));
        }

        if (s.Chance(0.03))
        {
            args.Add("BOGUS");
        }

        return [.. args];
    }

    private static object[] AutoClaim(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XAUTOCLAIM"), key, s.Chance(0.9) ? s.Pick("g1", "g2") : "nogroup", s.Pick(Consumers), Idle(s), s.Chance(0.5) ? "0" : IntervalId(s, step) };
        if (s.Chance(0.5))
        {
            args.Add(s.Word("COUNT"));
            args.Add(s.Pick("1", "2", "3", "10", "0", "-1", "abc"));
        }

        if (s.Chance(0.3))
        {
            args.Add(s.Word("JUSTID"));
        }

        return [.. args];
    }

    private static (object[] Args, StreamReplyKind Kind) Info(CommandStream s, string key)
    {
        return s.Random.Next(6) switch
        {
            0 => ([s.Word("XINFO"), s.Word("STREAM"), key], StreamReplyKind.Exact),
            1 => ([s.Word("XINFO"), s.Word("STREAM"), key, s.Word("FULL"), .. s.Chance(0.5) ? new object[] { s.Word("COUNT"), s.Pick("0", "2", "-1", "abc") } : []], StreamReplyKind.Timed),
            2 => ([s.Word("XINFO"), s.Word("GROUPS"), key], StreamReplyKind.Exact),
            3 => ([s.Word("XINFO"), s.Word("CONSUMERS"), key, s.Pick(Groups)], StreamReplyKind.Timed),
            4 => ([s.Word("XINFO"), s.Word("HELP")], StreamReplyKind.Exact),
            _ => ([s.Word("XINFO"), s.Word("STREAM"), key, s.Pick("FULL", "BOGUS"), s.Pick("COUNT", "X")], StreamReplyKind.Exact),
        };
    }

    private static object[] SetId(CommandStream s, string key, int step)
    {
        var args = new List<object> { s.Word("XSETID"), key, Id(s, step) };
        if (s.Chance(0.3))
        {
            args.Add(s.Word("ENTRIESADDED"));
            args.Add(s.Pick("0", "1000", "-1", "abc", N(step)));
        }

        if (s.Chance(0.3))
        {
            args.Add(s.Word("MAXDELETEDID"));
            args.Add(Id(s, step));
        }

        return [.. args];
    }
}
