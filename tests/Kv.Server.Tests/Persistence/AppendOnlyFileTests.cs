using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// appendonly yes in process: what propagation writes (Redis's rewrites of relative expiries, random
/// pops, blocking pops, transactions and scripts), restarts that load it back, BGREWRITEAOF under
/// writes, CONFIG SET appendonly yes, and the truncated/corrupt file rules of loading.
/// </summary>
public sealed class AppendOnlyFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-aof-test-");

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

    private Task<KvServer> StartAsync(TimeProvider? time = null, params string[] extra) =>
        KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", _dir.FullName, "--appendfsync", "always", .. extra], time);

    [Fact]
    public async Task EffectsArePropagatedAsRedisRewritesThem()
    {
        var clock = new ManualClock();
        long now = clock.UnixMilliseconds;
        await using (var server = await StartAsync(clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("+OK", (await c.SendAsync("SET", "a", "1")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("SET", "b", "2", "EX", "100")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("SETEX", "c", "10", "3")).ToString());
            Assert.Equal(":1", (await c.SendAsync("EXPIRE", "a", "50")).ToString());
            Assert.Equal("$4.5", (await c.SendAsync("INCRBYFLOAT", "f", "4.5")).ToString());
            Assert.Equal("$1", (await c.SendAsync("GET", "a")).ToString());
            Assert.Equal(":1", (await c.SendAsync("SADD", "s", "only")).ToString());
            Assert.Equal("$only", (await c.SendAsync("SPOP", "s")).ToString());
            Assert.Equal(":2", (await c.SendAsync("RPUSH", "l", "x", "y")).ToString());
            Assert.Equal("*[$l, $x]", (await c.SendAsync("BLPOP", "nothing", "l", "0")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("MULTI")).ToString());
            await c.SendAsync("INCR", "n");
            await c.SendAsync("INCR", "n");
            Assert.Equal("*[:1, :2]", (await c.SendAsync("EXEC")).ToString());
            Assert.Equal(":1", (await c.SendAsync("EVAL", "redis.call('set', KEYS[1], 'v') return redis.call('del', KEYS[1])", "1", "e")).ToString());
            Assert.True((await c.SendAsync("EVAL", "return redis.call('get', 'never')", "0")).IsNull);
            Assert.Equal("+OK", (await c.SendAsync("SELECT", "2")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("SET", "in2", "x")).ToString());
            Assert.Equal(":0", (await c.SendAsync("DEL", "missing")).ToString());
        }

        var commands = AofFiles.Commands(AofFiles.LastIncr(_dir.FullName));
        string at(long ms) => (now + ms).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(
        [
            "SELECT 0",
            "SET a 1",
            "SET b 2 PXAT " + at(100_000),
            "SET c 3 PXAT " + at(10_000),
            "PEXPIREAT a " + at(50_000),
            "SET f 4.5 KEEPTTL",
            "SADD s only",
            "SREM s only",
            "RPUSH l x y",
            "LPOP l",
            "MULTI",
            "INCR n",
            "INCR n",
            "EXEC",
            "MULTI",
            "set e v",
            "del e",
            "EXEC",
            "SELECT 2",
            "SET in2 x",
        ], commands);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task RestartLoadsEveryTypeWithTtls(string preamble)
    {
        var clock = new ManualClock();
        await using (var server = await StartAsync(clock, "--aof-use-rdb-preamble", preamble))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("SET", "str", "v", "PX", "100000");
            await c.SendAsync("RPUSH", "list", "a", "b", "c");
            await c.SendAsync("HSET", "hash", "f1", "v1", "f2", "v2");
            await c.SendAsync("SADD", "set", "m1", "m2", "3");
            await c.SendAsync("ZADD", "zset", "1.5", "a", "-2", "b");
            await c.SendAsync("XADD", "stream", "1-1", "f", "v");
            await c.SendAsync("XGROUP", "CREATE", "stream", "g", "0");
            await c.SendAsync("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "stream", ">");
            await c.SendAsync("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f1', function() return 1 end)");
            Assert.Equal("Background append only file rewriting started", (await c.SendAsync("BGREWRITEAOF")).Text);
            await WaitRewriteDoneAsync(c);
            await c.SendAsync("SELECT", "5");
            await c.SendAsync("INCRBY", "counter", "7");
        }

        // aof-use-rdb-preamble yes: the base is an RDB file (Redis 7.0's <name>.<seq>.base.rdb), else RESP commands.
        string baseFile = AofFiles.Base(_dir.FullName);
        Assert.EndsWith(preamble == "yes" ? ".2.base.rdb" : ".2.base.aof", baseFile);
        Assert.Equal(preamble == "yes" ? (byte)'R' : (byte)'*', File.ReadAllBytes(baseFile)[0]);
        Assert.Equal(["SELECT 5", "INCRBY counter 7"], AofFiles.Commands(AofFiles.LastIncr(_dir.FullName)));

        clock.Advance(TimeSpan.FromSeconds(10));
        await using (var server = await StartAsync(clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("$v", (await c.SendAsync("GET", "str")).ToString());
            Assert.Equal(":90000", (await c.SendAsync("PTTL", "str")).ToString());
            Assert.Equal("*[$a, $b, $c]", (await c.SendAsync("LRANGE", "list", "0", "-1")).ToString());
            Assert.Equal("$v2", (await c.SendAsync("HGET", "hash", "f2")).ToString());
            Assert.Equal(":3", (await c.SendAsync("SCARD", "set")).ToString());
            Assert.Equal("*[$b, $-2, $a, $1.5]", (await c.SendAsync("ZRANGE", "zset", "0", "-1", "WITHSCORES")).ToString());
            Assert.Equal(":1", (await c.SendAsync("XLEN", "stream")).ToString());
            Assert.Contains("alice", (await c.SendAsync("XPENDING", "stream", "g", "-", "+", "10")).ToString());
            Assert.Equal(":1", (await c.SendAsync("FCALL", "f1", "0")).ToString());
            await c.SendAsync("SELECT", "5");
            Assert.Equal("$7", (await c.SendAsync("GET", "counter")).ToString());

            // Redis runs loaded commands outside call(): they count in no statistics.
            Assert.DoesNotContain("cmdstat_incrby", Info(await c.SendAsync("INFO", "commandstats")).Keys);
        }
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task RewriteUnderConcurrentWritesKeepsEveryWrite(string preamble)
    {
        const int Writers = 4;
        var acked = new long[Writers];
        await using (var server = await StartAsync(null, "--appendfsync", "everysec", "--aof-use-rdb-preamble", preamble))
        {
            await using var admin = await RespTestClient.ConnectAsync(server.Port);
            for (int i = 0; i < 3000; i++)
            {
                await admin.WriteCommandAsync("SET", "seed:" + i, new string('x', 50));
            }

            for (int i = 0; i < 3000; i++)
            {
                await admin.ReadReplyAsync();
            }

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                await using var c = await RespTestClient.ConnectAsync(server.Port);
                while (!stop.IsCancellationRequested)
                {
                    var reply = await c.SendAsync("INCR", "counter:" + w);
                    Assert.Equal(acked[w] + 1, reply.Integer);
                    acked[w]++;
                    await c.SendAsync("RPUSH", "list:" + w, acked[w].ToString(CultureInfo.InvariantCulture));
                    await c.SendAsync("SET", "seed:" + (acked[w] % 3000), "w" + w);
                }
            })).ToArray();

            for (int round = 0; round < 3; round++)
            {
                Assert.StartsWith("Background append only file rewriting", (await admin.SendAsync("BGREWRITEAOF")).Text);
                await WaitRewriteDoneAsync(admin);
            }

            stop.Cancel();
            await Task.WhenAll(writers);
            Assert.Equal("3", Info(await admin.SendAsync("INFO", "persistence"))["aof_rewrites"]);
            Assert.Equal(2, AofFiles.Manifest(_dir.FullName).Length);
        }

        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            for (int w = 0; w < Writers; w++)
            {
                Assert.Equal("$" + acked[w], (await c.SendAsync("GET", "counter:" + w)).ToString());
                Assert.Equal(acked[w], (await c.SendAsync("LLEN", "list:" + w)).Integer);
                Assert.Equal("$" + acked[w], (await c.SendAsync("LINDEX", "list:" + w, "-1")).ToString());
            }

            Assert.Equal(3000 + (2 * Writers), (await c.SendAsync("DBSIZE")).Integer);
        }
    }

    // aof-use-rdb-preamble yes: the RDB base is the data at the rewrite's start instant; clients keep
    // working while it is written (rdb-key-save-delay keeps it running), their writes land in the new
    // incr file, and base + incr give back exactly the data. A BGSAVE meanwhile is refused as Redis
    // refuses it while a child runs.
    [Fact]
    public async Task WritesDuringAnRdbRewriteLandInTheNewIncrFile()
    {
        await using (var server = await StartAsync(null, "--rdb-key-save-delay", "1000"))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", "for i = 1, 2000 do redis.call('set', 'key' .. i, i) end return 1", "0");
            Assert.Equal("Background append only file rewriting started", (await c.SendAsync("BGREWRITEAOF")).Text);
            Assert.Equal("1", Info(await c.SendAsync("INFO", "persistence"))["aof_rewrite_in_progress"]);
            Assert.Equal("+OK", (await c.SendAsync("SET", "key1", "changed")).ToString());
            Assert.Equal(":1", (await c.SendAsync("DEL", "key2000")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("SET", "during", "yes")).ToString());
            Assert.Equal("$changed", (await c.SendAsync("GET", "key1")).ToString());
            Assert.Equal(
                "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
                (await c.SendAsync("BGSAVE")).ToString());
            Assert.Equal("1", Info(await c.SendAsync("INFO", "persistence"))["aof_rewrite_in_progress"]);
            await WaitRewriteDoneAsync(c);
        }

        Assert.EndsWith(".2.base.rdb", AofFiles.Base(_dir.FullName));
        Assert.Equal(["SELECT 0", "SET key1 changed", "DEL key2000", "SET during yes"], AofFiles.Commands(AofFiles.LastIncr(_dir.FullName)));
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal(":2000", (await c.SendAsync("DBSIZE")).ToString());
            Assert.Equal("*[$changed, $2, (nil), $yes]", (await c.SendAsync("MGET", "key1", "key2", "key2000", "during")).ToString());
        }
    }

    // Redis runs one child at a time: BGREWRITEAOF during a BGSAVE is scheduled, and runs after it.
    [Fact]
    public async Task RewriteAskedDuringABgsaveIsScheduled()
    {
        await using var server = await StartAsync(null, "--rdb-key-save-delay", "1000");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.SendAsync("EVAL", "for i = 1, 1000 do redis.call('set', 'key' .. i, i) end return 1", "0");
        Assert.Equal("+Background saving started", (await c.SendAsync("BGSAVE")).ToString());
        Assert.Equal("+Background append only file rewriting scheduled", (await c.SendAsync("BGREWRITEAOF")).ToString());
        var info = Info(await c.SendAsync("INFO", "persistence"));
        Assert.Equal("1", info["rdb_bgsave_in_progress"]);
        Assert.Equal("1", info["aof_rewrite_scheduled"]);
        Assert.Equal("0", info["aof_rewrite_in_progress"]);
        await WaitRewriteDoneAsync(c);
        info = Info(await c.SendAsync("INFO", "persistence"));
        Assert.Equal("0", info["rdb_bgsave_in_progress"]);
        Assert.Equal("ok", info["rdb_last_bgsave_status"]);
        Assert.Equal("1", info["aof_rewrites"]);
        Assert.Equal("ok", info["aof_last_bgrewrite_status"]);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task ConfigSetAppendOnlyStartsWithARewrite(string preamble)
    {
        await using (var server = await KvServerFixture.StartAsync(["--dir", _dir.FullName, "--aof-use-rdb-preamble", preamble]))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("SET", "before", "1");
            Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "appendonly", "yes")).ToString());
            await WaitRewriteDoneAsync(c);
            Assert.Equal("1", Info(await c.SendAsync("INFO", "persistence"))["aof_enabled"]);
            await c.SendAsync("SET", "after", "2");
            Assert.Equal("*[$appendonly, $yes]", (await c.SendAsync("CONFIG", "GET", "appendonly")).ToString());
            Assert.Equal($"*[$aof-use-rdb-preamble, ${preamble}]", (await c.SendAsync("CONFIG", "GET", "aof-use-rdb-preamble")).ToString());
        }

        Assert.EndsWith(preamble == "yes" ? ".1.base.rdb" : ".1.base.aof", AofFiles.Base(_dir.FullName));

        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("*[$1, $2]", (await c.SendAsync("MGET", "before", "after")).ToString());
        }
    }

    [Fact]
    public async Task TruncatedTailIsDroppedAndCorruptionStopsTheStart()
    {
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("SET", "k1", "v1");
            await c.SendAsync("SET", "k2", "v2");
        }

        string incr = AofFiles.LastIncr(_dir.FullName);
        long good = new FileInfo(incr).Length;
        File.AppendAllText(incr, "*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$2\r\nv");

        // aof-load-truncated no: the start fails naming the file and the repair.
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync(null, "--aof-load-truncated", "no"));
        Assert.Contains("appendonly.aof.1.incr.aof", refused.Message);
        Assert.Contains("redis-check-aof --fix", refused.Message);

        // yes (the default): the partial command is dropped and the file cut back to the last whole one.
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("*[$v1, $v2, (nil)]", (await c.SendAsync("MGET", "k1", "k2", "k3")).ToString());
        }

        Assert.Equal(good, new FileInfo(incr).Length);

        // Garbage before the end is corruption: never a partial load.
        var bytes = File.ReadAllBytes(incr);
        bytes[16] = (byte)'!'; // the '$' of SELECT's argument
        File.WriteAllBytes(incr, bytes);
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.Contains("Bad file format reading the append only file appendonly.aof.1.incr.aof at byte offset", corrupt.Message);
        Assert.Contains("redis-check-aof --fix", corrupt.Message);
    }

    // key-load-delay applies to each command of the AOF too (Redis 7.0's loadSingleAppendOnlyFile), and
    // INFO reports the progress over all the files the manifest lists.
    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task InfoReportsLoadingProgressOfTheAof(string preamble)
    {
        await using (var server = await StartAsync(null, "--aof-use-rdb-preamble", preamble))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", "for i = 1, 1000 do redis.call('set', 'key' .. i, i) end return 1", "0");
            Assert.StartsWith("Background append only file rewriting", (await c.SendAsync("BGREWRITEAOF")).Text);
            await WaitRewriteDoneAsync(c);
            for (int i = 0; i < 1000; i++)
            {
                await c.WriteCommandAsync("SET", "tail" + i.ToString(CultureInfo.InvariantCulture), "v");
            }

            for (int i = 0; i < 1000; i++)
            {
                await c.ReadReplyAsync();
            }
        }

        long total = new FileInfo(AofFiles.Base(_dir.FullName)).Length + new FileInfo(AofFiles.LastIncr(_dir.FullName)).Length;
        var (during, after) = await RdbTests.LoadingInfoAsync(["--appendonly", "yes", "--dir", _dir.FullName, "--aof-use-rdb-preamble", preamble, "--key-load-delay", "1000"]);
        RdbTests.AssertLoadingFields(during, total);
        Assert.Equal("0", after["loading"]);
        Assert.DoesNotContain("loading_total_bytes", after.Keys);
    }

    [Fact]
    public async Task UnfinishedTransactionAtTheEndIsReverted()
    {
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("SET", "k", "before");
        }

        File.AppendAllText(AofFiles.LastIncr(_dir.FullName), "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nafter\r\n");
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("$before", (await c.SendAsync("GET", "k")).ToString());
        }
    }

    internal static async Task WaitRewriteDoneAsync(RespTestClient c)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var info = Info(await c.SendAsync("INFO", "persistence"));
            if (info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "The AOF rewrite did not finish within 30 s.");
            await Task.Delay(20);
        }
    }

    internal static Dictionary<string, string> Info(RespReply reply)
    {
        var fields = new Dictionary<string, string>();
        foreach (var line in Encoding.UTF8.GetString(reply.Bytes ?? Encoding.UTF8.GetBytes(reply.Text!)).Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..];
            }
        }

        return fields;
    }
}
