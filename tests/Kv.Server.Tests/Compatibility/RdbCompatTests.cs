using System.Globalization;
using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// RDB files and DUMP payloads both ways with Debian's redis-server 7.0: kv-server's dump passes
/// redis-check-rdb and loads into redis-server with every key, value, encoding and TTL; redis-server's
/// dump (listpack, intset, quicklist, skiplist, hashtable, streams with groups) loads into kv-server the
/// same; DUMP from one server RESTOREs into the other.
/// </summary>
public sealed class RdbCompatTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-rdb-compat-");

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

    [RedisFact("redis-server", "redis-check-rdb")]
    public async Task KvServerDumpLoadsIntoRedisServer()
    {
        foreach (string compression in new[] { "yes", "no" })
        {
            string dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "kv-" + compression)).FullName;
            List<string> expected;
            await using (var kv = await KvServerFixture.StartAsync(["--dir", dir, "--rdbcompression", compression]))
            {
                await using var c = await RespTestClient.ConnectAsync(kv.Port);
                await RdbData.WriteAsync(c);
                await c.SendAsync("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('answer', function() return 42 end)");
                expected = await RdbData.SnapshotAsync(c);
                Assert.Equal("+Background saving started", (await c.SendAsync("BGSAVE")).ToString());
                await WaitForSaveAsync(c);
            }

            string file = Path.Combine(dir, "dump.rdb");
            var check = await ExternalProcess.RunAsync(RedisBinaries.Find("redis-check-rdb")!, [file], TimeSpan.FromSeconds(60));
            Assert.True(check.ExitCode == 0, check.ToString());
            Assert.Contains("RDB looks OK", check.StandardOutput);
            Assert.Contains("Checksum OK", check.StandardOutput);

            await using var redis = await ServerProcess.StartRedisAsync("--dir", dir, "--dbfilename", "dump.rdb");
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            RdbData.AssertSame(expected, await RdbData.SnapshotAsync(r));
            Assert.Equal(":42", (await r.SendAsync("FCALL", "answer", "0")).ToString());
        }
    }

    [RedisFact("redis-server")]
    public async Task RedisServerDumpLoadsIntoKvServer()
    {
        string dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "redis")).FullName;
        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--dir", dir))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            await RdbData.WriteAsync(r);
            await r.SendAsync("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('answer', function() return 42 end)");
            expected = await RdbData.SnapshotAsync(r);
            Assert.Equal("+OK", (await r.SendAsync("SAVE")).ToString());
        }

        await using var kv = await KvServerFixture.StartAsync(["--dir", dir]);
        await using var c = await RespTestClient.ConnectAsync(kv.Port);
        RdbData.AssertSame(expected, await RdbData.SnapshotAsync(c));
        Assert.Equal(":42", (await c.SendAsync("FCALL", "answer", "0")).ToString());
    }

    [RedisFact("redis-server")]
    public async Task DumpPayloadsRestoreAcrossServers()
    {
        await using var redis = await ServerProcess.StartRedisAsync("--dir", _dir.FullName);
        await using var kv = await KvServerFixture.StartAsync(["--dir", _dir.FullName]);
        await using var r = await RespTestClient.ConnectAsync(redis.Port);
        await using var c = await RespTestClient.ConnectAsync(kv.Port);
        await RdbData.WriteAsync(r);
        await RdbData.WriteAsync(c);
        var keys = (await c.SendAsync("KEYS", "*")).Items!.Select(k => k.Text!).Order(StringComparer.Ordinal).ToList();
        foreach (var (from, to) in new[] { (r, c), (c, r) })
        {
            foreach (var key in keys)
            {
                var payload = (await from.SendAsync("DUMP", key)).Bytes!;
                long expiry = (await from.SendAsync("PEXPIRETIME", key)).Integer;
                var reply = await to.SendAsync("RESTORE", key, expiry > 0 ? expiry.ToString(CultureInfo.InvariantCulture) : "0", payload, "REPLACE", "ABSTTL");
                Assert.True(reply.ToString() == "+OK", $"RESTORE {key}: {reply}");
            }
        }

        RdbData.AssertSame(await RdbData.SnapshotAsync(r), await RdbData.SnapshotAsync(c));

        // The same error texts for the same bad payloads.
        var good = (await r.SendAsync("DUMP", "str:small")).Bytes!;
        var bad = (byte[])good.Clone();
        bad[1] ^= 1;
        object[][] probes =
        [
            ["RESTORE", "str:small", "0", good],
            ["RESTORE", "new", "0", bad],
            ["RESTORE", "new", "0", "short"],
            ["RESTORE", "new", "-5", good],
            ["RESTORE", "new", "0", good, "FREQ", "-1"],
            ["RESTORE", "new", "0", good, "IDLETIME", "x"],
            ["RESTORE", "new", "0", good, "BOGUS"],
            ["DUMP", "missing"],
        ];
        foreach (var probe in probes)
        {
            Assert.Equal((await r.SendAsync(probe)).ToString(), (await c.SendAsync(probe)).ToString());
        }
    }

    // rdbSaveKeyValuePair writes each key's idle time under an LRU maxmemory-policy and its LFU counter
    // under an LFU one; rdbLoad gives them back (objectSetLRUOrLFU). Both ways with redis-server, and
    // through a BGSAVE's snapshot. lfu-decay-time 0: no minute boundary may lower a counter mid-test.
    [RedisTheory("redis-server", "redis-check-rdb")]
    [InlineData("allkeys-lru")]
    [InlineData("volatile-lfu")]
    public async Task IdleTimeAndLfuCounterTravelInTheRdb(string policy)
    {
        bool lfu = policy.EndsWith("-lfu", StringComparison.Ordinal);
        string[] settings = ["--dir", _dir.FullName, "--maxmemory-policy", policy, "--lfu-decay-time", "0"];
        string option = lfu ? "FREQ" : "IDLETIME";
        string probe = lfu ? "FREQ" : "IDLETIME";
        void AssertAccess(long expected, RespReply reply)
        {
            if (lfu)
            {
                Assert.Equal(expected, reply.Integer);
            }
            else
            {
                Assert.InRange(reply.Integer, expected, expected + 60);
            }
        }

        await using (var redis = await ServerProcess.StartRedisAsync(settings))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            await r.SendAsync("SET", "source", "v");
            var payload = (await r.SendAsync("DUMP", "source")).Bytes!;
            Assert.Equal("+OK", (await r.SendAsync("RESTORE", "from-redis", "0", payload, option, lfu ? "77" : "1000")).ToString());
            Assert.Equal("+OK", (await r.SendAsync("SAVE")).ToString());
        }

        await using (var kv = await KvServerFixture.StartAsync(settings))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            AssertAccess(lfu ? 77 : 1000, await c.SendAsync("OBJECT", probe, "from-redis"));
            var payload = (await c.SendAsync("DUMP", "source")).Bytes!; // not from-redis: DUMP is an access
            Assert.Equal("+OK", (await c.SendAsync("RESTORE", "from-kv", "0", payload, option, lfu ? "99" : "2000")).ToString());
            Assert.Equal("+Background saving started", (await c.SendAsync("BGSAVE")).ToString());
            await WaitForSaveAsync(c);
        }

        var check = await ExternalProcess.RunAsync(RedisBinaries.Find("redis-check-rdb")!, [Path.Combine(_dir.FullName, "dump.rdb")], TimeSpan.FromSeconds(60));
        Assert.True(check.ExitCode == 0, check.ToString());
        await using (var redis = await ServerProcess.StartRedisAsync(settings))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            AssertAccess(lfu ? 77 : 1000, await r.SendAsync("OBJECT", probe, "from-redis"));
            AssertAccess(lfu ? 99 : 2000, await r.SendAsync("OBJECT", probe, "from-kv"));
        }

        // kv-server's own restart reads them back too.
        await using (var kv = await KvServerFixture.StartAsync(settings))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            AssertAccess(lfu ? 99 : 2000, await c.SendAsync("OBJECT", probe, "from-kv"));
        }
    }

    private static async Task WaitForSaveAsync(RespTestClient c)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await c.SendAsync("INFO", "persistence")).Text!.Contains("rdb_bgsave_in_progress:1"))
        {
            Assert.True(DateTime.UtcNow < deadline, "BGSAVE did not finish");
            await Task.Delay(20);
        }
    }
}
