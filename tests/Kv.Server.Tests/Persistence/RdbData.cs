using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// A data set for RDB tests that makes every encoding appear (int/embstr/raw and compressible strings,
/// listpack and hashtable hashes (also at the 128-entry bound), intset and hashtable sets (small ones
/// at kv-server's compact bound of 128 members and 64 bytes), listpack and skiplist sorted sets,
/// multi-node lists, streams with groups, consumers and PELs), TTLs, several databases; and a
/// DUMP-independent picture of a server's data to compare two servers with.
/// </summary>
internal static class RdbData
{
    public static async Task WriteAsync(RespTestClient c, bool fieldTtls = false)
    {
        async Task Ok(params object[] args)
        {
            var reply = await c.SendAsync(args);
            Assert.False(reply.IsError, $"{string.Join(' ', args)} -> {reply}");
        }

        await Ok("SELECT", "0");
        await Ok("SET", "str:small", "hello");
        await Ok("SET", "str:int", "12345");
        await Ok("SET", "str:negative", "-7");
        await Ok("SET", "str:big-int", "12345678901234567");
        await Ok("SET", "str:not-int", "007");
        await Ok("SET", "str:raw", new string('a', 100) + " compressible text, compressible text, compressible text");
        await Ok("SET", "str:binary", "\0\u0001\u00ff\r\n");
        await Ok("SET", "str:ttl", "v", "PX", "5000000");
        await Ok("SET", "str:empty", "");
        await Ok("APPEND", "str:appended", "grown in place");
        await Ok("RPUSH", "list:small", "a", "b", "c", "1", "-2", "300", "70000", "5000000000", "-5000000000", new string('x', 70));
        await Ok("HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "-333333", "f4", new string('y', 60));
        await Ok("SADD", "set:intset", "1", "2", "3", "-100", "70000", "5000000000");
        await Ok("SADD", "set:small", "a", "b", "c", "1");
        await Ok("ZADD", "zset:small", "1", "a", "2.5", "b", "-3", "c", "1e20", "d", "inf", "e", "-inf", "f", "0.1", "g");
        await Ok("EVAL", """
            for i = 1, 3000 do redis.call('rpush', 'list:big', 'element-' .. i .. string.rep('z', i % 50)) end
            for i = 1, 600 do redis.call('hset', 'hash:big', 'field' .. i, 'value' .. i) end
            redis.call('hset', 'hash:longvalue', 'f', string.rep('v', 100))
            for i = 1, 600 do redis.call('sadd', 'set:bigints', i * 3) end
            for i = 1, 300 do redis.call('sadd', 'set:big', 'member' .. i) end
            for i = 1, 300 do redis.call('zadd', 'zset:big', i / 7, 'member' .. i) end
            redis.call('zadd', 'zset:longmember', 1, string.rep('m', 100))
            redis.call('set', 'str:run', string.rep('r', 5000))
            redis.call('rpush', 'list:runs', string.rep('q', 300), string.rep('ab', 400), 'x')
            redis.call('hset', 'hash:runs', 'f', string.rep('w', 266), 'g', string.rep('w', 265) .. 'x')
            for i = 1, 128 do redis.call('hset', 'hash:128', 'f' .. i, 'v' .. i) end
            for i = 1, 128 do redis.call('sadd', 'set:128', 's' .. i) end
            for i = 1, 129 do redis.call('sadd', 'set:129', 's' .. i) end
            redis.call('sadd', 'set:member64', 'a', '7', string.rep('m', 64))
            return 1
            """, "0");
        await Ok("PEXPIRE", "hash:big", "7000000");
        await Ok("EXPIRE", "zset:big", "8000");
        await Ok("XADD", "stream", "1-1", "f", "v", "g", "w");
        await Ok("XADD", "stream", "2-0", "f", "v2", "g", "w2");
        await Ok("XADD", "stream", "2-5", "other", "1");
        await Ok("XADD", "stream", "3-0", "f", "12345", "g", "-1");
        await Ok("XDEL", "stream", "2-0");
        await Ok("XGROUP", "CREATE", "stream", "grp", "0");
        await Ok("XGROUP", "CREATE", "stream", "empty-group", "$");
        await Ok("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "stream", ">");
        await Ok("XREADGROUP", "GROUP", "grp", "bob", "COUNT", "1", "STREAMS", "stream", ">");
        await Ok("XGROUP", "CREATECONSUMER", "stream", "grp", "carol");
        await Ok("EVAL", "for i = 1, 250 do redis.call('xadd', 'stream:big', '*', 'n', i, 'text', 'entry number ' .. i) end return 1", "0");
        if (fieldTtls)
        {
            await Ok("HSET", "hash:fieldttl", "a", "1", "b", "2", "c", "3");
            await Ok("HPEXPIRE", "hash:fieldttl", "9000000", "FIELDS", "2", "a", "b");
        }

        await Ok("SELECT", "3");
        await Ok("SET", "in-db3", "x");
        await Ok("RPUSH", "list-db3", "1", "2");
        await Ok("SELECT", "0");
    }

    /// <summary>
    /// Every key of every database: type, contents (sets and hashes sorted), encoding and absolute expiry.
    /// A stream is its XINFO STREAM FULL, or with <paramref name="streamFull"/> false its entries, groups and
    /// the pending summary of group "grp" (for comparisons across a reload, where consumers' seen-time moves).
    /// </summary>
    public static async Task<List<string>> SnapshotAsync(RespTestClient c, bool withEncoding = true, bool fieldTtls = false, bool streamFull = true)
    {
        var lines = new List<string>();
        for (int db = 0; db < 16; db++)
        {
            await c.SendAsync("SELECT", db.ToString(CultureInfo.InvariantCulture));
            var keys = (await c.SendAsync("KEYS", "*")).Items!.Select(k => k.Text!).Order(StringComparer.Ordinal).ToList();
            foreach (var key in keys)
            {
                string type = (await c.SendAsync("TYPE", key)).Text!;
                string value = type switch
                {
                    "string" => (await c.SendAsync("GET", key)).ToString(),
                    "list" => (await c.SendAsync("LRANGE", key, "0", "-1")).ToString(),
                    "hash" => Sorted(await c.SendAsync("HGETALL", key), pairs: true),
                    "set" => Sorted(await c.SendAsync("SMEMBERS", key), pairs: false),
                    "zset" => (await c.SendAsync("ZRANGE", key, "0", "-1", "WITHSCORES")).ToString(),
                    "stream" when streamFull => (await c.SendAsync("XINFO", "STREAM", key, "FULL")).ToString(),
                    "stream" => (await c.SendAsync("XRANGE", key, "-", "+")).ToString()
                        + " groups=" + (await c.SendAsync("XINFO", "GROUPS", key)).ToString()
                        + " pending=" + (await c.SendAsync("XPENDING", key, "grp")).ToString(),
                    _ => "?",
                };
                if (fieldTtls && type == "hash")
                {
                    value += " field-ttls=" + (await c.SendAsync("HPEXPIRETIME", key, "FIELDS", "3", "a", "b", "c")).ToString();
                }

                string encoding = withEncoding ? (await c.SendAsync("OBJECT", "ENCODING", key)).ToString() : "";
                string expiry = (await c.SendAsync("PEXPIRETIME", key)).ToString();
                lines.Add($"{db} {key} {type} {encoding} {value} expiry={expiry}");
            }
        }

        await c.SendAsync("SELECT", "0");
        return lines;
    }

    public static void AssertSame(List<string> expected, List<string> actual)
    {
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        Assert.Equal(expected.Count, actual.Count);
    }

    private static string Sorted(RespReply reply, bool pairs)
    {
        var items = reply.Items!.Select(i => i.Text!).ToList();
        var entries = new List<string>();
        for (int i = 0; i < items.Count; i += pairs ? 2 : 1)
        {
            entries.Add(pairs ? items[i] + "=" + items[i + 1] : items[i]);
        }

        entries.Sort(StringComparer.Ordinal);
        return string.Join(",", entries);
    }
}
