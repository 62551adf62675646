using System.Globalization;
using System.Text.RegularExpressions;

namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>
/// The command families of the mixed-type stream: each type's own generator (reused as is), the
/// string commands of <see cref="CompatCommands"/>, and the generic key commands that work across
/// types. Every key is folded into a space of <see cref="KeySpace"/> names so the types keep
/// colliding (WRONGTYPE, TYPE, RENAME/COPY over another type). A new type is one row in <see cref="All"/>.
/// </summary>
public static partial class MixedCommandSources
{
    /// <summary>Keys k0..k11: the per-type generators draw k0..k19 (lists l0..l5) and are folded onto these.</summary>
    public const int KeySpace = 12;

    // Each family sends most of its keys to its own four (overlapping its neighbours' by one),
    // so every type builds up real values, and the rest anywhere, so types still collide.
    private const int HomeSize = 4;
    private const double AwayShare = 0.3;

    /// <summary>The encoding limits the stream changes mid-way, with Redis 7.0's defaults (restored at the end).</summary>
    public static readonly (string Name, string Default, string[] Values)[] EncodingLimits =
    [
        ("hash-max-listpack-entries", "128", ["0", "1", "2", "4", "128"]),
        ("hash-max-listpack-value", "64", ["0", "4", "16", "64"]),
        ("set-max-intset-entries", "512", ["0", "2", "4", "16", "512"]),
        ("zset-max-listpack-entries", "128", ["0", "1", "2", "4", "128"]),
        ("zset-max-listpack-value", "64", ["0", "2", "8", "64"]),
    ];

    private static readonly HashSet<string> StringCommandNames =
    [
        "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx", "append", "strlen",
        "getrange", "setrange", "incr", "decr", "incrby", "incrbyfloat", "lcs", "setbit", "getbit", "bitcount", "bitpos", "bitop",
    ];

    private static readonly CompatCommand[] StringCommands = [.. CompatCommands.All.Where(c => StringCommandNames.Contains(c.Name))];

    private static readonly string[] Types = ["string", "hash", "set", "zset", "list", "none", "stream", "STRING", "Hash"];

    /// <summary>Every family with its weight and home keys (the list generator's keys l0..l5 fold too).</summary>
    public static IReadOnlyList<MixedSource> All { get; } =
    [
        new("string", 14, s => Fold(s, 0, new MixedStep(StringCommands[s.Random.Next(StringCommands.Length)].Generate(s), MixedReplyKind.Exact))),
        new("hash", 20, s => Fold(s, 3, FromHash(HashCommandGenerator.Next(s)))),
        new("set", 20, s => Fold(s, 6, FromSet(SetCommandGenerator.Next(s)))),
        new("zset", 20, s => Fold(s, 9, FromSortedSet(SortedSetCommandGenerator.Next(s)))),
        new("list", 20, s => Fold(s, 1, new MixedStep(ListCommandGenerator.Next(s)))),
        new("zadd", 4, s => Fold(s, 9, new MixedStep([s.Word("zadd"), "k0", .. ScoredMembers(s)]))),
        new("generic", 26, Generic),
    ];

    /// <summary>Draws a family by weight, then a step of it.</summary>
    public static (MixedSource Source, MixedStep Step) Next(CommandStream s)
    {
        int total = 0;
        foreach (var source in All)
        {
            total += source.Weight;
        }

        int ticket = s.Random.Next(total);
        foreach (var source in All)
        {
            ticket -= source.Weight;
            if (ticket < 0)
            {
                return (source, source.Next(s));
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    public static string Key(CommandStream s) => "k" + s.Random.Next(KeySpace).ToString(CultureInfo.InvariantCulture);

    /// <summary>Generic commands across types: type, encoding, existence, deletion, copy, rename, move, expiry, scans, databases, limits.</summary>
    public static MixedStep Generic(CommandStream s)
    {
        int roll = s.Random.Next(100);
        return roll switch
        {
            < 9 => new([s.Word("type"), Key(s)]),
            < 17 => new([s.Word("object"), s.Word("encoding"), Key(s)]),
            < 21 => new([s.Word("exists"), .. Keys(s, 1, 4)]),
            < 25 => new([s.Word("del"), .. Keys(s, 1, 3)]),
            < 27 => new([s.Word("unlink"), .. Keys(s, 1, 2)]),
            < 33 => new([s.Word("copy"), Key(s), Key(s), .. s.Options(2, () => [s.Word("replace")], () => [s.Word("db"), s.Chance(0.9) ? s.Random.Next(0, 3).ToString(CultureInfo.InvariantCulture) : s.Database()])]),
            < 37 => new([s.Word("rename"), Key(s), Key(s)]),
            < 40 => new([s.Word("renamenx"), Key(s), Key(s)]),
            < 43 => new([s.Word("move"), Key(s), s.Chance(0.9) ? s.Random.Next(0, 3).ToString(CultureInfo.InvariantCulture) : s.Database()]),
            < 47 => new([s.Word("expire"), Key(s), s.Seconds(), .. ExpireFlags(s)]),
            < 49 => new([s.Word("pexpire"), Key(s), s.Milliseconds(), .. ExpireFlags(s)]),
            < 53 => new([s.Word("ttl"), Key(s)], MixedReplyKind.Seconds),
            < 55 => new([s.Word("pttl"), Key(s)], MixedReplyKind.Milliseconds),
            < 57 => new([s.Word("persist"), Key(s)]),
            < 58 => new([s.Word("expiretime"), Key(s)], MixedReplyKind.Seconds),
            < 62 => new([.. s.Options(3, () => [s.Word("match"), s.Pattern()], () => [s.Word("count"), s.Pick("1", "3", "10", "1000", "0", "abc")], () => [s.Word("type"), s.Pick(Types)])], MixedReplyKind.KeyScan),
            < 64 => new([s.Word("type"), s.Pick(Types), .. s.Options(1, () => [s.Word("match"), s.Pattern()])], MixedReplyKind.KeyScan),
            < 67 => new([s.Word("keys"), s.Pick("*", "k1*", "k?", "k[0-4]", "*1*", "nomatch")], MixedReplyKind.Unordered),
            < 70 => new([s.Word("dbsize")]),
            < 71 => new([s.Word("swapdb"), s.Random.Next(0, 3).ToString(CultureInfo.InvariantCulture), s.Chance(0.9) ? s.Random.Next(0, 3).ToString(CultureInfo.InvariantCulture) : s.Database()]),
            < 73 => new([s.Word("select"), s.Chance(0.7) ? "0" : s.Random.Next(0, 3).ToString(CultureInfo.InvariantCulture)]),
            < 75 => new([s.Word("touch"), .. Keys(s, 1, 3)]),
            < 77 => new([s.Word("randomkey")], MixedReplyKind.NilOrValue),
            < 78 => s.Chance(0.25) ? new([s.Word(s.Chance(0.8) ? "flushdb" : "flushall")]) : new([s.Word("type"), Key(s)]),
            < 83 => ConfigLimit(s),
            < 85 => new([s.Word("object"), s.Word(s.Pick("refcount", "freq")), Key(s)]),
            < 86 => new([s.Word("expireat"), Key(s), s.UnixSeconds(allowPast: true), .. ExpireFlags(s)]),
            < 87 => new([s.Word("pexpireat"), Key(s), s.UnixMilliseconds(allowPast: true), .. ExpireFlags(s)]),
            < 88 => new([s.Word("pexpiretime"), Key(s)], MixedReplyKind.Milliseconds),
            < 90 => new([s.Word("zrandmember"), Key(s), .. RandomCount(s)], MixedReplyKind.HashRandom),
            < 95 => new([s.Word("getex"), Key(s), .. s.Options(1, () => [s.Word("persist")], () => [s.Word("ex"), s.Seconds()])]),
            _ => new([s.Word("type"), Key(s)]),
        };
    }

    // The sorted-set generator's ZADDs mostly test option errors; these valid ones keep sorted sets around.
    private static object[] ScoredMembers(CommandStream s)
    {
        var args = new object[2 * s.Random.Next(1, 7)];
        for (int i = 0; i < args.Length; i += 2)
        {
            args[i] = s.Chance(0.8) ? s.Random.Next(-5, 20).ToString(CultureInfo.InvariantCulture) : s.Pick("1.5", "-0.25", "inf", "-inf", "1e300", "0");
            args[i + 1] = s.Chance(0.9) ? s.Pick("a", "b", "c", "d", "e", "m1", "m2", "m10", "") : new string('z', s.Random.Next(5, 80));
        }

        return args;
    }

    // ZRANDMEMBER key [count [WITHSCORES]]: compared by shape, like HRANDFIELD.
    private static object[] RandomCount(CommandStream s)
    {
        if (s.Chance(0.3))
        {
            return [];
        }

        string count = s.Chance(0.85) ? s.Random.Next(-6, 8).ToString(CultureInfo.InvariantCulture) : s.Pick("abc", "-9223372036854775808", "0");
        return s.Chance(0.4) ? [count, s.Word("withscores")] : [count];
    }

    private static MixedStep ConfigLimit(CommandStream s)
    {
        var (name, _, values) = s.Pick(EncodingLimits);
        return new(["CONFIG", "SET", name, s.Pick(values)]);
    }

    private static object[] Keys(CommandStream s, int min, int max)
    {
        var keys = new object[s.Random.Next(min, max + 1)];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(s);
        }

        return keys;
    }

    private static object[] ExpireFlags(CommandStream s)
    {
        var flags = s.Options(2, () => [s.Word("nx")], () => [s.Word("xx")], () => [s.Word("gt")], () => [s.Word("lt")]);
        return s.Chance(0.6) ? [] : [.. flags];
    }

    private static MixedStep FromHash((object[] Args, HashReplyKind Kind) step) => step.Kind switch
    {
        HashReplyKind.WholeHash => new(step.Args, MixedReplyKind.WholeHash),
        HashReplyKind.Random => new(step.Args, MixedReplyKind.HashRandom),
        HashReplyKind.Scan => new(step.Args, MixedReplyKind.ElementScan),
        _ => new(step.Args),
    };

    private static MixedStep FromSet(SetStep step) => step.Kind switch
    {
        SetReplyKind.SetOrder => new(step.Args, MixedReplyKind.SetOrder, step.SourceKeys, step.BuildsResult),
        SetReplyKind.Random => new(step.Args, MixedReplyKind.SetRandom),
        SetReplyKind.ScanIteration => new(step.Args, MixedReplyKind.ElementScan),
        _ => new(step.Args),
    };

    // ZSCAN from cursor 0 walks the whole set (a skiplist's order is its dict's, unspecified); other cursors are errors.
    private static MixedStep FromSortedSet(object[] args)
    {
        string name = ((string)args[0]).ToUpperInvariant();
        if (name == "ZSCAN" && (string)args[2] == "0")
        {
            return new([args[0], args[1], .. args[3..]], MixedReplyKind.ElementScan);
        }

        bool byLex = Array.Exists(args, a => a is string word && word.Equals("bylex", StringComparison.OrdinalIgnoreCase));
        return name switch
        {
            "ZRANGEBYLEX" or "ZREVRANGEBYLEX" or "ZLEXCOUNT" or "ZREMRANGEBYLEX" => new(args, MixedReplyKind.LexRange, [args[1]]),
            "ZRANGE" when byLex => new(args, MixedReplyKind.LexRange, [args[1]]),
            "ZRANGESTORE" when byLex => new(args, MixedReplyKind.LexRange, [args[2]]),
            _ => new(args),
        };
    }

    /// <summary>
    /// Folds the generators' keys k0..k19 onto the family's home keys (from <paramref name="home"/>) or,
    /// now and then, anywhere in k0..k11 (values, members, fields and elements never look like "k"/"l" + digits).
    /// </summary>
    private static MixedStep Fold(CommandStream s, int home, MixedStep step)
    {
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        FoldKeys(s, home, step.Args, 1, folded);
        if (step.SourceKeys is not null)
        {
            FoldKeys(s, home, step.SourceKeys, 0, folded);
        }

        return step;
    }

    // The same generated key maps to the same folded key within a command (SourceKeys repeat Args' keys).
    private static void FoldKeys(CommandStream s, int home, object[] args, int start, Dictionary<string, string> folded)
    {
        for (int i = start; i < args.Length; i++)
        {
            if (args[i] is string text && KeyName().IsMatch(text))
            {
                if (!folded.TryGetValue(text, out var key))
                {
                    int n = s.Chance(AwayShare) ? s.Random.Next(KeySpace) : (home + s.Random.Next(HomeSize)) % KeySpace;
                    key = "k" + n.ToString(CultureInfo.InvariantCulture);
                    folded[text] = key;
                }

                args[i] = key;
            }
        }
    }

    [GeneratedRegex("^[kl][0-9]{1,2}$")]
    private static partial Regex KeyName();
}
