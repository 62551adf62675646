namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>How the replies to a generated hash command are compared.</summary>
public enum HashReplyKind
{
    /// <summary>Byte for byte.</summary>
    Exact,

    /// <summary>The whole hash (HGETALL, HKEYS, HVALS): exact while small (listpack order), as a multiset once big.</summary>
    WholeHash,

    /// <summary>HRANDFIELD: only the shape and count can agree.</summary>
    Random,

    /// <summary>HSCAN: iterate to the end and compare the field/value pairs.</summary>
    Scan,
}

/// <summary>
/// Random hash commands for seeded compatibility streams (reusable in a mixed-type stream): keys from
/// <see cref="CommandStream.Key"/> (strings live there too, so WRONGTYPE collides), few field names so
/// fields collide, values from the stream's value table.
/// </summary>
public static class HashCommandGenerator
{
    private static readonly string[] Fields = ["a", "b", "c", "f1", "f2", "f3", "n", "x", "", "long-field-name-that-is-long", "ü"];

    public static string Field(CommandStream s) => s.Chance(0.05) ? new string('F', s.Random.Next(60, 70)) : s.Pick(Fields);

    public static (object[] Args, HashReplyKind Kind) Next(CommandStream s)
    {
        int roll = s.Random.Next(100);
        string key = s.Key();
        return roll switch
        {
            < 13 => ([s.Word("HSET"), key, .. Pairs(s, s.Random.Next(1, 5))], HashReplyKind.Exact),
            < 14 => ([s.Word("HSET"), key, .. ManyPairs(s)], HashReplyKind.Exact),
            < 16 => ([s.Word("HMSET"), key, .. Pairs(s, s.Random.Next(1, 3))], HashReplyKind.Exact),
            < 19 => ([s.Word("HSETNX"), key, Field(s), s.Value()], HashReplyKind.Exact),
            < 26 => ([s.Word("HGET"), key, Field(s)], HashReplyKind.Exact),
            < 30 => ([s.Word("HMGET"), key, .. Many(s, 1, 4)], HashReplyKind.Exact),
            < 37 => ([s.Word("HDEL"), key, .. Many(s, 1, 3)], HashReplyKind.Exact),
            < 40 => ([s.Word("HLEN"), key], HashReplyKind.Exact),
            < 43 => ([s.Word("HSTRLEN"), key, Field(s)], HashReplyKind.Exact),
            < 46 => ([s.Word("HEXISTS"), key, Field(s)], HashReplyKind.Exact),
            < 50 => ([s.Word("HKEYS"), key], HashReplyKind.WholeHash),
            < 53 => ([s.Word("HVALS"), key], HashReplyKind.WholeHash),
            < 58 => ([s.Word("HGETALL"), key], HashReplyKind.WholeHash),
            < 67 => ([s.Word("HINCRBY"), key, Field(s), s.Integer()], HashReplyKind.Exact),
            < 74 => ([s.Word("HINCRBYFLOAT"), key, Field(s), s.Float()], HashReplyKind.Exact),
            < 80 => (RandField(s, key), HashReplyKind.Random),
            < 86 => (Scan(s, key), HashReplyKind.Scan),
            < 89 => ([s.Word("SET"), key, s.Value()], HashReplyKind.Exact),
            < 91 => ([s.Word("DEL"), key], HashReplyKind.Exact),
            < 94 => ([s.Word("TYPE"), key], HashReplyKind.Exact),
            < 97 => ([s.Word("OBJECT"), s.Word("ENCODING"), key], HashReplyKind.Exact),
            _ => ([s.Word("HSET"), key], HashReplyKind.Exact),
        };
    }

    private static object[] Pairs(CommandStream s, int n)
    {
        var args = new List<object>();
        for (int i = 0; i < n; i++)
        {
            args.Add(Field(s));
            args.Add(s.Chance(0.03) ? new string('v', s.Random.Next(60, 70)) : s.Value());
        }

        // Now and then an odd count: HSET's own arity error.
        if (s.Chance(0.04))
        {
            args.RemoveAt(args.Count - 1);
        }

        return [.. args];
    }

    // Fields around the listpack entries threshold (128 by default): a small hash grows past it, or stays under.
    private static object[] ManyPairs(CommandStream s)
    {
        int n = s.Random.Next(60, 140), start = s.Random.Next(0, 50);
        var args = new object[n * 2];
        for (int i = 0; i < n; i++)
        {
            args[2 * i] = "bulk" + (start + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            args[(2 * i) + 1] = s.Value();
        }

        return args;
    }

    private static object[] Many(CommandStream s, int min, int max)
    {
        int n = s.Random.Next(min, max + 1);
        var args = new object[n];
        for (int i = 0; i < n; i++)
        {
            args[i] = Field(s);
        }

        return args;
    }

    private static object[] RandField(CommandStream s, string key)
    {
        if (s.Chance(0.25))
        {
            return [s.Word("HRANDFIELD"), key];
        }

        string count = s.Chance(0.8) ? s.Random.Next(-6, 8).ToString(System.Globalization.CultureInfo.InvariantCulture) : s.Pick("abc", "-9223372036854775808", "9223372036854775807", "0");
        if (s.Chance(0.5))
        {
            return [s.Word("HRANDFIELD"), key, count, s.Chance(0.9) ? s.Word("WITHVALUES") : "WITHVALUE"];
        }

        return [s.Word("HRANDFIELD"), key, count];
    }

    /// <summary>HSCAN options only (the cursor is added while iterating).</summary>
    private static object[] Scan(CommandStream s, string key)
    {
        var args = new List<object> { s.Word("HSCAN"), key };
        if (s.Chance(0.4))
        {
            args.Add(s.Word("MATCH"));
            args.Add(s.Pick("*", "f*", "?", "[a-c]", "x", "*long*"));
        }

        if (s.Chance(0.4))
        {
            args.Add(s.Word("COUNT"));
            args.Add(s.Pick("1", "2", "10", "100", "0", "abc"));
        }

        if (s.Chance(0.03))
        {
            args.Add(s.Word("TYPE"));
            args.Add("string");
        }

        return [.. args];
    }
}
