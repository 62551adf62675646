using System.Globalization;

namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>How the replies of one generated set command must be compared.</summary>
public enum SetReplyKind
{
    /// <summary>Deterministic, byte for byte.</summary>
    Exact,

    /// <summary>A set-valued reply (SMEMBERS, SINTER, SUNION, SDIFF): exact when Redis's order is defined (intset sources), otherwise unordered.</summary>
    SetOrder,

    /// <summary>SPOP / SRANDMEMBER: shape, count, membership and distinctness only.</summary>
    Random,

    /// <summary>A full SSCAN iteration: the members returned are compared as sets.</summary>
    ScanIteration,
}

/// <summary>One generated set command: its arguments, the keys whose encoding decides the order, and how to compare it.</summary>
/// <param name="Args">The command.</param>
/// <param name="Kind">How to compare the replies.</param>
/// <param name="SourceKeys">For <see cref="SetReplyKind.SetOrder"/>: the keys whose encodings decide the order.</param>
/// <param name="BuildsResult">SUNION/SDIFF: the reply walks a new set, an intset only while it stays within set-max-intset-entries.</param>
public sealed record SetStep(object[] Args, SetReplyKind Kind, object[] SourceKeys, bool BuildsResult = false);

/// <summary>
/// Random set commands over the stream's shared key space (so sets collide with other types), with
/// members that are mostly small integers (intsets), sometimes strings or almost-integers ("007",
/// "-0") that force the hashtable, sometimes bulk adds past set-max-intset-entries. Reusable by a
/// mixed-type stream: <see cref="Next"/> draws one step.
/// </summary>
public static class SetCommandGenerator
{
    private static readonly string[] OddMembers =
    [
        "a", "b", "c", "d", "hello", "", "007", "-0", "+1", " 1", "1.5", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "tab\there", "ünï",
    ];

    private static readonly string[] PopCounts = ["0", "1", "2", "3", "5", "10", "100", "-1", "abc", "1.5"];
    private static readonly string[] RandCounts = ["0", "1", "2", "3", "5", "10", "100", "-1", "-3", "-20", "abc", "-9223372036854775808"];

    public static object Member(CommandStream s)
    {
        double roll = s.Random.NextDouble();
        if (roll < 0.65)
        {
            return s.Random.Next(-5, 40).ToString(CultureInfo.InvariantCulture);
        }

        if (roll < 0.75)
        {
            return new byte[] { 0, 1, (byte)s.Random.Next(256) };
        }

        return s.Pick(OddMembers);
    }

    private static object[] Members(CommandStream s, int min, int max)
    {
        var members = new object[s.Random.Next(min, max + 1)];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = Member(s);
        }

        return members;
    }

    private static object[] BulkIntegers(CommandStream s)
    {
        int count = s.Random.Next(50, 700);
        int start = s.Random.Next(-100, 1000);
        var members = new object[count];
        for (int i = 0; i < count; i++)
        {
            members[i] = (start + (i * s.Random.Next(1, 3))).ToString(CultureInfo.InvariantCulture);
        }

        return members;
    }

    // Strings around kv-server's compact bound (128 members): small sets grow past it, or stay under.
    private static object[] BulkStrings(CommandStream s)
    {
        var members = new object[s.Random.Next(60, 200)];
        int start = s.Random.Next(0, 100);
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = "m" + (start + i).ToString(CultureInfo.InvariantCulture);
        }

        return members;
    }

    public static SetStep Next(CommandStream s)
    {
        int roll = s.Random.Next(100);
        return roll switch
        {
            < 21 => Step([s.Word("sadd"), s.Key(), .. Members(s, 1, 5)]),
            < 22 => Step([s.Word("sadd"), s.Key(), .. BulkStrings(s)]),
            < 23 => Step([s.Word("sadd"), s.Key(), .. BulkIntegers(s)]),
            < 31 => Step([s.Word("srem"), s.Key(), .. Members(s, 1, 4)]),
            < 37 => Ordered([s.Word("smembers"), s.Key()], 1),
            < 41 => Step([s.Word("sismember"), s.Key(), Member(s)]),
            < 44 => Step([s.Word("smismember"), s.Key(), .. Members(s, 1, 4)]),
            < 48 => Step([s.Word("scard"), s.Key()]),
            < 52 => Random(s.Chance(0.5) ? [s.Word("spop"), s.Key()] : [s.Word("spop"), s.Key(), s.Pick(PopCounts)]),
            < 56 => Random(s.Chance(0.3) ? [s.Word("srandmember"), s.Key()] : [s.Word("srandmember"), s.Key(), s.Pick(RandCounts)]),
            < 61 => Step([s.Word("smove"), s.Key(), s.Key(), Member(s)]),
            < 65 => Ordered([s.Word("sinter"), .. s.Keys(1, 3)], 1),
            < 68 => SInterCard(s),
            < 71 => Step([s.Word("sinterstore"), s.Key(), .. s.Keys(1, 3)]),
            < 74 => Ordered([s.Word("sunion"), .. s.Keys(1, 3)], 1) with { BuildsResult = true },
            < 77 => Step([s.Word("sunionstore"), s.Key(), .. s.Keys(1, 3)]),
            < 80 => Ordered([s.Word("sdiff"), .. s.Keys(1, 4)], 1) with { BuildsResult = true },
            < 83 => Step([s.Word("sdiffstore"), s.Key(), .. s.Keys(1, 4)]),
            < 86 => new SetStep([s.Word("sscan"), s.Key(), .. ScanOptions(s)], SetReplyKind.ScanIteration, []),
            < 88 => Step([s.Word("sscan"), s.Key(), s.Pick("abc", "-", "1x", " 1"), .. ScanOptions(s)]),
            < 93 => Step([s.Word("object"), s.Word("encoding"), s.Key()]),
            < 95 => Step([s.Word("set"), s.Key(), s.Value()]),
            < 97 => Step([s.Word("del"), s.Key()]),
            < 98 => Step([s.Word("config"), s.Word("set"), "set-max-intset-entries", s.Pick("0", "3", "16", "512")]),
            _ => Step([s.Word("type"), s.Key()]),
        };
    }

    private static SetStep Step(object[] args) => new(args, SetReplyKind.Exact, []);

    private static SetStep Random(object[] args) => new(args, SetReplyKind.Random, []);

    private static SetStep Ordered(object[] args, int firstKey) => new(args, SetReplyKind.SetOrder, args[firstKey..]);

    private static SetStep SInterCard(CommandStream s)
    {
        var keys = s.Keys(1, 3);
        string numKeys = s.Chance(0.85) ? keys.Length.ToString(CultureInfo.InvariantCulture) : s.Pick("0", "-1", "abc", "5");
        var args = new List<object> { s.Word("sintercard"), numKeys };
        args.AddRange(keys);
        if (s.Chance(0.4))
        {
            args.Add(s.Word("limit"));
            args.Add(s.Pick("0", "1", "2", "5", "-1", "abc"));
        }
        else if (s.Chance(0.05))
        {
            args.Add(s.Word("limit"));
        }

        return Step([.. args]);
    }

    private static object[] ScanOptions(CommandStream s) => [.. s.Options(2,
        () => [s.Word("match"), s.Pick("*", "1*", "?", "[a-c]*", "*0", "nomatch")],
        () => [s.Word("count"), s.Pick("1", "3", "10", "1000", "0", "-1", "abc")])];
}
