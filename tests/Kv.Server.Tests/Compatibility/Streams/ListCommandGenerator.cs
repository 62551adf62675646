using System.Globalization;

namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>
/// Random list commands (valid and invalid) over a small key space shared with a few string keys, so
/// WRONGTYPE collides. Blocking pops get tiny timeouts so they answer deterministically (served at once,
/// or nil after the timeout on both servers). Reusable by a mixed-type stream.
/// </summary>
public static class ListCommandGenerator
{
    private static readonly string[] ElementPool = ["a", "b", "c", "a", "1", "2", "-3", "x y", ""];
    private static readonly string[] Indexes = ["0", "1", "-1", "2", "-2", "5", "-7", "100", "abc", "9223372036854775807", "-9223372036854775808"];
    private static readonly string[] Counts = ["0", "1", "2", "3", "10", "-1", "abc", "9223372036854775807"];
    private static readonly string[] Timeouts = ["0.01", "0.01", "0.01", "0.02", "-1", "abc", "inf", "1e30"];
    private static readonly string[] Ends = ["LEFT", "RIGHT", "left", "right", "up"];

    private static readonly (string Name, int Weight, Func<CommandStream, object[]> Generate)[] Rows =
    [
        ("lpush", 14, s => [s.Word("lpush"), Key(s), .. Elements(s, 1, 4)]),
        ("rpush", 14, s => [s.Word("rpush"), Key(s), .. Elements(s, 1, 4)]),
        ("lpushx", 4, s => [s.Word("lpushx"), Key(s), .. Elements(s, 1, 3)]),
        ("rpushx", 4, s => [s.Word("rpushx"), Key(s), .. Elements(s, 1, 3)]),
        ("lpop", 6, s => [s.Word("lpop"), Key(s), .. Optional(s, 0.5, () => s.Pick(Counts)), .. Optional(s, 0.05, () => "1")]),
        ("rpop", 6, s => [s.Word("rpop"), Key(s), .. Optional(s, 0.5, () => s.Pick(Counts))]),
        ("llen", 4, s => [s.Word("llen"), Key(s)]),
        ("lrange", 8, s => [s.Word("lrange"), Key(s), s.Pick(Indexes), s.Pick(Indexes)]),
        ("lindex", 5, s => [s.Word("lindex"), Key(s), s.Pick(Indexes)]),
        ("lset", 4, s => [s.Word("lset"), Key(s), s.Pick(Indexes), Element(s)]),
        ("linsert", 4, s => [s.Word("linsert"), Key(s), s.Pick("BEFORE", "AFTER", "after", "middle"), Element(s), Element(s)]),
        ("lrem", 4, s => [s.Word("lrem"), Key(s), s.Pick("0", "1", "-1", "2", "-2", "abc"), Element(s)]),
        ("ltrim", 3, s => [s.Word("ltrim"), Key(s), s.Pick(Indexes), s.Pick(Indexes)]),
        ("lpos", 5, s => [s.Word("lpos"), Key(s), Element(s), .. LPosOptions(s)]),
        ("lmove", 4, s => [s.Word("lmove"), Key(s), Key(s), s.Pick(Ends), s.Pick(Ends)]),
        ("rpoplpush", 3, s => [s.Word("rpoplpush"), Key(s), Key(s)]),
        ("lmpop", 4, s => [s.Word("lmpop"), .. MPopArguments(s)]),
        ("blpop", 3, s => [s.Word("blpop"), .. Keys(s), s.Pick(Timeouts)]),
        ("brpop", 3, s => [s.Word("brpop"), .. Keys(s), s.Pick(Timeouts)]),
        ("blmove", 2, s => [s.Word("blmove"), Key(s), Key(s), s.Pick(Ends), s.Pick(Ends), s.Pick(Timeouts)]),
        ("brpoplpush", 2, s => [s.Word("brpoplpush"), Key(s), Key(s), s.Pick(Timeouts)]),
        ("blmpop", 2, s => [s.Word("blmpop"), s.Pick(Timeouts), .. MPopArguments(s)]),
        ("set", 1, s => [s.Word("set"), Key(s), "str"]),
        ("del", 4, s => [s.Word("del"), Key(s)]),
        ("type", 1, s => [s.Word("type"), Key(s)]),
        ("object|encoding", 1, s => ["OBJECT", "ENCODING", Key(s)]),
        ("exists", 1, s => [s.Word("exists"), Key(s)]),
    ];

    /// <summary>The command names generated.</summary>
    public static IEnumerable<string> Names => Rows.Select(r => r.Name);

    /// <summary>One random command.</summary>
    public static object[] Next(CommandStream s)
    {
        int total = Rows.Sum(r => r.Weight);
        int roll = s.Random.Next(total);
        foreach (var row in Rows)
        {
            roll -= row.Weight;
            if (roll < 0)
            {
                return row.Generate(s);
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>A few list keys, shared with strings now and then; kept small so lists grow and empty.</summary>
    private static string Key(CommandStream s) => "l" + s.Random.Next(6).ToString(CultureInfo.InvariantCulture);

    private static object Element(CommandStream s) => s.Chance(0.03) ? new string('e', s.Random.Next(100, 400)) : s.Pick(ElementPool);

    private static object[] Elements(CommandStream s, int min, int max)
    {
        // Now and then a long run, so lists span several chunks.
        int count = s.Chance(0.04) ? s.Random.Next(100, 400) : s.Random.Next(min, max + 1);
        var items = new object[count];
        for (int i = 0; i < count; i++)
        {
            items[i] = Element(s);
        }

        return items;
    }

    private static object[] Keys(CommandStream s)
    {
        var keys = new object[s.Random.Next(1, 4)];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(s);
        }

        return keys;
    }

    private static object[] Optional(CommandStream s, double p, Func<object> make) => s.Chance(p) ? [make()] : [];

    private static List<object> LPosOptions(CommandStream s)
    {
        var options = new List<object>();
        int n = s.Random.Next(0, 4);
        for (int i = 0; i < n; i++)
        {
            switch (s.Random.Next(4))
            {
                case 0:
                    options.Add("RANK");
                    options.Add(s.Pick("1", "2", "-1", "-2", "0", "abc", "-9223372036854775808", "5"));
                    break;
                case 1:
                    options.Add("COUNT");
                    options.Add(s.Pick("0", "1", "2", "-1", "abc"));
                    break;
                case 2:
                    options.Add("MAXLEN");
                    options.Add(s.Pick("0", "1", "3", "-1", "abc"));
                    break;
                default:
                    options.Add(s.Pick("rank", "bogus"));
                    break;
            }
        }

        return options;
    }

    private static List<object> MPopArguments(CommandStream s)
    {
        var keys = Keys(s);
        var args = new List<object>();
        args.Add(s.Chance(0.9) ? keys.Length.ToString(CultureInfo.InvariantCulture) : s.Pick("0", "-1", "abc", "5"));
        args.AddRange(keys);
        if (s.Chance(0.95))
        {
            args.Add(s.Pick(Ends));
        }

        if (s.Chance(0.5))
        {
            args.Add(s.Pick("COUNT", "count", "LIMIT"));
            args.Add(s.Pick(Counts));
        }

        if (s.Chance(0.05))
        {
            args.Add("COUNT");
            args.Add("1");
        }

        return args;
    }
}
