using System.Globalization;
using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The append-only file both ways with Debian's redis-server 7.0, with aof-use-rdb-preamble yes (the
/// base is an RDB file) and no (RESP commands): kv-server's appendonlydir (base from a rewrite plus
/// incr files) passes redis-check-aof and loads into redis-server with the same data, and
/// redis-server's appendonlydir loads into kv-server; a base holding an RDB followed by commands (an
/// old single-file AOF with a preamble) loads into both alike.
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

    [RedisTheory("redis-server", "redis-check-aof")]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task KvServerAppendOnlyDirLoadsIntoRedisServer(string preamble)
    {
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "kv")).FullName;
        List<string> expected;
        await using (var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--dir", kvDir]))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            await WriteDataAsync(c, 0);
            Assert.StartsWith("Background append only file rewriting", (await c.SendAsync("BGREWRITEAOF")).Text);
            await AppendOnlyFileTests.WaitRewriteDoneAsync(c);
            await WriteDataAsync(c, 1);
            expected = await SnapshotAsync(c);
        }

        Assert.EndsWith(preamble == "yes" ? ".base.rdb" : ".base.aof", AofFiles.Base(kvDir));
        var check = await ExternalProcess.RunAsync(RedisBinaries.Find("redis-check-aof")!, [Path.Combine(kvDir, "appendonlydir", "appendonly.aof.manifest")], TimeSpan.FromSeconds(60));
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("All AOF files and manifest are valid", check.StandardOutput);
        if (preamble == "yes")
        {
            Assert.Contains("RDB preamble is OK", check.StandardOutput);
        }

        await using var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", kvDir);
        await using var r = await RespTestClient.ConnectAsync(redis.Port);
        AssertSame(expected, await SnapshotAsync(r));
    }

    [RedisTheory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task RedisServerAppendOnlyDirLoadsIntoKvServer(string preamble)
    {
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "redis")).FullName;
        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--dir", redisDir))
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

        Assert.EndsWith(preamble == "yes" ? ".base.rdb" : ".base.aof", AofFiles.Base(redisDir));
        await using var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", redisDir]);
        await using var c = await RespTestClient.ConnectAsync(kv.Port);
        AssertSame(expected, await SnapshotAsync(c));
    }

    // Redis's loadSingleAppendOnlyFile reads an RDB at the start of any AOF file, then the commands after it.
    [RedisFact]
    public async Task BaseWithRdbPreambleAndCommandsLoadsIntoBoth()
    {
        string source = Directory.CreateDirectory(Path.Combine(_dir.FullName, "source")).FullName;
        await using (var kv = await KvServerFixture.StartAsync(["--dir", source]))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            await RdbData.WriteAsync(c);
            Assert.Equal("+OK", (await c.SendAsync("SAVE")).ToString());
        }

        var tail = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$5\r\nafter\r\n*2\r\n$3\r\nDEL\r\n$9\r\nstr:small\r\n"u8.ToArray();
        var folder = Directory.CreateDirectory(Path.Combine(_dir.FullName, "mixed", "appendonlydir")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "appendonly.aof.1.base.aof"), [.. File.ReadAllBytes(Path.Combine(source, "dump.rdb")), .. tail]);
        File.WriteAllText(Path.Combine(folder, "appendonly.aof.1.incr.aof"), "*3\r\n$4\r\nSADD\r\n$9\r\nset:small\r\n$3\r\nnew\r\n");
        File.WriteAllText(Path.Combine(folder, "appendonly.aof.manifest"), "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
        string dir = Path.GetDirectoryName(folder)!;

        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", dir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            Assert.Equal("$after", (await r.SendAsync("GET", "tail")).ToString());
            expected = await RdbData.SnapshotAsync(r);
            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
        }

        await using var kvLoaded = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", dir]);
        await using var k = await RespTestClient.ConnectAsync(kvLoaded.Port);
        Assert.Equal("$after", (await k.SendAsync("GET", "tail")).ToString());
        Assert.Equal(":0", (await k.SendAsync("EXISTS", "str:small")).ToString());
        Assert.Equal(":1", (await k.SendAsync("SISMEMBER", "set:small", "new")).ToString());
        RdbData.AssertSame(expected, await RdbData.SnapshotAsync(k));
    }

    /// <summary>
    /// Redis 7.0's upgrade of a single-file AOF (the Redis 6 layout, <c>dir/appendonly.aof</c>): both
    /// servers move it into appendonlydir as the base, write the same manifest with a first incr file,
    /// and load the same data; the next start loads the upgraded layout.
    /// </summary>
    [RedisFact("redis-server")]
    public async Task SingleFileAofIsUpgradedAsRedisUpgradesIt()
    {
        string legacy = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            + "*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\na\r\n$13\r\n4102444800000\r\n";
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "legacy-redis")).FullName;
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "legacy-kv")).FullName;
        File.WriteAllText(Path.Combine(redisDir, "appendonly.aof"), legacy);
        File.WriteAllText(Path.Combine(kvDir, "appendonly.aof"), legacy);

        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", redisDir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            expected = await RdbData.SnapshotAsync(r);
            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
        }

        await using (var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", kvDir]))
        {
            await using var k = await RespTestClient.ConnectAsync(kv.Port);
            RdbData.AssertSame(expected, await RdbData.SnapshotAsync(k));
            Assert.Equal("+OK", (await k.SendAsync("SET", "after", "upgrade")).ToString());
        }

        foreach (string dir in new[] { redisDir, kvDir })
        {
            Assert.False(File.Exists(Path.Combine(dir, "appendonly.aof")));
            Assert.Equal(legacy, File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof")));
        }

        Assert.Equal(
            File.ReadAllText(Path.Combine(redisDir, "appendonlydir", "appendonly.aof.manifest")),
            File.ReadAllText(Path.Combine(kvDir, "appendonlydir", "appendonly.aof.manifest")));

        await using var again = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", kvDir]);
        await using var c = await RespTestClient.ConnectAsync(again.Port);
        Assert.Equal("*[$1, $upgrade]", (await c.SendAsync("MGET", "a", "after")).ToString());
        Assert.Equal("*[$x]", (await c.SendAsync("LRANGE", "l", "0", "-1")).ToString());
    }

    /// <summary>
    /// Nothing expires while an AOF loads (Redis's keyIsExpired and checkAlreadyExpired during loading):
    /// a key whose TTL passed before the restart is still there for the later PERSIST that saved it —
    /// in the RDB base as in the incr file — and one nobody saved is gone once loading is done.
    /// </summary>
    [RedisFact("redis-server")]
    public async Task TtlsThatPassedBeforeTheRestartDoNotLoseLaterPersists()
    {
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "ttl-redis")).FullName;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--aof-use-rdb-preamble", "yes", "--dir", redisDir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            Assert.Equal("+OK", (await r.SendAsync("SET", "in-base", "kept", "PX", "1000")).ToString());
            Assert.Equal("+OK", (await r.SendAsync("SET", "in-base-gone", "x", "PX", "1000")).ToString());
            Assert.StartsWith("+", (await r.SendAsync("BGREWRITEAOF")).ToString());
            await Persistence.AppendOnlyFileTests.WaitRewriteDoneAsync(r);
            Assert.Equal("+OK", (await r.SendAsync("SET", "in-incr", "kept", "PX", "1000")).ToString());
            Assert.Equal("+OK", (await r.SendAsync("SET", "in-incr-gone", "x", "PX", "1000")).ToString());
            Assert.Equal(":1", (await r.SendAsync("PERSIST", "in-base")).ToString());
            Assert.Equal(":1", (await r.SendAsync("PERSIST", "in-incr")).ToString());
            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
        }

        await Task.Delay(1500);
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "ttl-kv", "appendonlydir")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(redisDir, "appendonlydir")))
        {
            File.Copy(file, Path.Combine(kvDir, Path.GetFileName(file)));
        }

        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", redisDir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            Assert.Equal("*[$kept, $kept, (nil), (nil)]", (await r.SendAsync("MGET", "in-base", "in-incr", "in-base-gone", "in-incr-gone")).ToString());
            expected = await RdbData.SnapshotAsync(r);
        }

        await using var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", Path.GetDirectoryName(kvDir)!]);
        await using var k = await RespTestClient.ConnectAsync(kv.Port);
        Assert.Equal("*[$kept, $kept, (nil), (nil)]", (await k.SendAsync("MGET", "in-base", "in-incr", "in-base-gone", "in-incr-gone")).ToString());
        RdbData.AssertSame(expected, await RdbData.SnapshotAsync(k));
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
    private static Task<List<string>> SnapshotAsync(RespTestClient c) => RdbData.SnapshotAsync(c, withEncoding: false, streamFull: false);
}
