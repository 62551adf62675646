using System.Globalization;
using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The append-only file both ways with Debian's redis-server 7.0: kv-server's appendonlydir (base
/// from a rewrite plus incr files) passes redis-check-aof and loads into redis-server with the same
/// data, and redis-server's appendonlydir (appendonly yes, aof-use-rdb-preamble no) loads into kv-server.
/// </summary>
public sealed class AofCompatTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-aof-compat-");

    public void Dispose()
    {
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [RedisFact("redis-server", "redis-check-aof")]
    public async Task KvServerAppendOnlyDirLoadsIntoRedisServer()
    {
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "kv")).FullName;
        List<string> expected;
        await using (var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", kvDir]))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            await WriteDataAsync(c, 0);
            Assert.StartsWith("Background append only file rewriting", (await c.SendAsync("BGREWRITEAOF")).Text);
            await AppendOnlyFileTests.WaitRewriteDoneAsync(c);
            await WriteDataAsync(c, 1);
            expected = await SnapshotAsync(c);
        }

        var check = await ExternalProcess.RunAsync(RedisBinaries.Find("redis-check-aof")!, [Path.Combine(kvDir, "appendonlydir", "appendonly.aof.manifest")], TimeSpan.FromSeconds(60));
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("All AOF files and manifest are valid", check.StandardOutput);

        await using var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", kvDir);
        await using var r = await RespTestClient.ConnectAsync(redis.Port);
        AssertSame(expected, await SnapshotAsync(r));
    }

    [RedisFact]
    public async Task RedisServerAppendOnlyDirLoadsIntoKvServer()
    {
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "redis")).FullName;
        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--dir", redisDir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            await WriteDataAsync(r, 0);
            await r.SendAsync("BGREWRITEAOF");
            await AppendOnlyFileTests.WaitRewriteDoneAsync(r);
            await WriteDataAsync(r, 1);
            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
        }

        // What redis-server itself makes of its files (a reload is not the live state in every detail:
        // XCLAIM … LASTID restores a group's last ID but not its entries-read counter).
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", redisDir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            expected = await SnapshotAsync(r);
        }

        await using var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", redisDir]);
        await using var c = await RespTestClient.ConnectAsync(kv.Port);
        AssertSame(expected, await SnapshotAsync(c));
    }

    private static void AssertSame(List<string> expected, List<string> actual)
    {
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        Assert.Equal(expected.Count, actual.Count);
    }

    // A data set touching every type, TTLs, several databases, transactions, scripts and the rewrites
    // propagation makes (relative expiries, INCRBYFLOAT, SPOP, blocking pops).
    private static async Task WriteDataAsync(RespTestClient c, int round)
    {
        string p = "r" + round.ToString(CultureInfo.InvariantCulture) + ":";
        async Task Ok(params object[] args)
        {
            var reply = await c.SendAsync(args);
            Assert.False(reply.IsError, $"{string.Join(' ', args)} -> {reply}");
        }

        await Ok("SELECT", "0");
        await Ok("SET", p + "str", "hello");
        await Ok("SET", p + "int", "12345");
        await Ok("SET", p + "ttl", "v", "EX", "1000");
        await Ok("SETEX", p + "setex", "2000", "v");
        await Ok("SET", p + "gone", "v");
        await Ok("EXPIRE", p + "gone", "-1");
        await Ok("INCRBYFLOAT", p + "float", "3.25");
        await Ok("APPEND", p + "str", " world");
        await Ok("RPUSH", p + "list", "a", "b", "c", "d");
        await Ok("LPOP", p + "list");
        await Ok("BLPOP", p + "nolist", p + "list", "1");
        await Ok("HSET", p + "hash", "f1", "v1", "f2", "v2", "n", "1");
        await Ok("HINCRBYFLOAT", p + "hash", "n", "0.5");
        await Ok("SADD", p + "intset", "1", "2", "3", "4");
        await Ok("SADD", p + "set", "x", "y", "z", "w");
        await Ok("SPOP", p + "set");
        await Ok("SPOP", p + "set", "2");
        await Ok("ZADD", p + "zset", "1", "a", "2.5", "b", "-1", "c", "inf", "d");
        await Ok("ZPOPMIN", p + "zset");
        await Ok("XADD", p + "stream", "*", "f", "v");
        await Ok("XADD", p + "stream", "*", "f", "w", "g", "x");
        await Ok("XGROUP", "CREATE", p + "stream", "grp", "0");
        await Ok("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", p + "stream", ">");
        await Ok("MULTI");
        await Ok("INCR", p + "counter");
        await Ok("LPUSH", p + "txlist", "1");
        await Ok("EXEC");
        await Ok("EVAL", "redis.call('set', KEYS[1], 'from-script'); redis.call('pexpire', KEYS[1], 500000); return 1", "1", p + "script");
        await Ok("SELECT", "3");
        await Ok("SET", p + "db3", "x");
        await Ok("SELECT", "0");
    }

    // Every key of every database with its type, contents and absolute expiry.
    private static async Task<List<string>> SnapshotAsync(RespTestClient c)
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
                    "stream" => (await c.SendAsync("XRANGE", key, "-", "+")).ToString()
                        + " groups=" + (await c.SendAsync("XINFO", "GROUPS", key)).ToString()
                        + " pending=" + (await c.SendAsync("XPENDING", key, "grp")).ToString(),
                    _ => "?",
                };
                string expiry = (await c.SendAsync("PEXPIRETIME", key)).ToString();
                lines.Add($"{db} {key} {type} {value} expiry={expiry}");
            }
        }

        await c.SendAsync("SELECT", "0");
        return lines;
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
