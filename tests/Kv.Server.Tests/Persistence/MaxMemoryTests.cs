using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>maxmemory: eviction policies, -OOM under noeviction, LFU counters, evictions in the AOF.</summary>
public sealed class MaxMemoryTests : IDisposable
{
    private const int ValueSize = 1000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-maxmemory-test-");

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

    [Fact]
    public async Task AllKeysLruStaysUnderTheLimitAndKeepsRecentKeys()
    {
        // 100 MB of 1 KB values into 20 MB; the clock moves a second every 2,000 keys, so older keys are idler.
        var clock = new ManualClock();
        await using var server = await KvServerFixture.StartAsync(["--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lru"], clock);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        const int Keys = 100_000;
        string value = new('v', ValueSize);
        long maxUsed = 0;
        for (int batch = 0; batch < Keys / 1000; batch++)
        {
            for (int i = batch * 1000; i < (batch + 1) * 1000; i++)
            {
                await c.WriteCommandAsync("SET", Key(i), value);
            }

            for (int i = 0; i < 1000; i++)
            {
                Assert.Equal("+OK", (await c.ReadReplyAsync()).ToString());
            }

            if (batch % 2 == 1)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            maxUsed = Math.Max(maxUsed, long.Parse(Info(await c.SendAsync("INFO", "memory"))["used_memory"], CultureInfo.InvariantCulture));
        }

        var info = Info(await c.SendAsync("INFO", "memory"));
        Assert.Equal("20971520", info["maxmemory"]);
        Assert.True(maxUsed <= 20L * 1024 * 1024, $"used_memory reached {maxUsed}");
        long keys = (await c.SendAsync("DBSIZE")).Integer;
        Assert.InRange(keys, 10_000, 20_000);
        Assert.True(long.Parse(Info(await c.SendAsync("INFO", "stats"))["evicted_keys"], CultureInfo.InvariantCulture) >= Keys - keys);

        int oldSurvivors = await CountExistingAsync(c, 0, 10_000);
        int recentSurvivors = await CountExistingAsync(c, Keys - 10_000, Keys);
        Assert.True(recentSurvivors > 4 * Math.Max(oldSurvivors, 100), $"recent {recentSurvivors} vs old {oldSurvivors}");
    }

    [Fact]
    public async Task NoEvictionRefusesDenyOomCommandsButServesReads()
    {
        await using var server = await KvServerFixture.StartAsync(["--maxmemory", "1mb"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        string value = new('v', ValueSize);
        RespReply reply = null!;
        for (int i = 0; i < 5000; i++)
        {
            reply = await c.SendAsync("SET", Key(i), value);
            if (reply.IsError)
            {
                break;
            }
        }

        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.", reply.ToString());
        Assert.Equal("$" + value, (await c.SendAsync("GET", Key(0))).ToString());
        Assert.Equal(":1", (await c.SendAsync("DEL", Key(0))).ToString());

        // Inside MULTI every command but EXEC/DISCARD is refused while out of memory, and the transaction is doomed.
        Assert.Equal("+OK", (await c.SendAsync("SET", "small", "1")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "maxmemory", "10kb")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("MULTI")).ToString());
        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.", (await c.SendAsync("GET", "small")).ToString());
        Assert.StartsWith("-EXECABORT", (await c.SendAsync("EXEC")).ToString());

        // The stretch above maxmemory (INFO stats' current_eviction_exceeded_time) ends when a command finds memory under it.
        Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "maxmemory", "1gb")).ToString());
        Assert.Equal("0", Info(await c.SendAsync("INFO", "stats"))["current_eviction_exceeded_time"]);
        Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "maxmemory", "0")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("SET", Key(1), value)).ToString());
    }

    [Fact]
    public async Task VolatilePoliciesEvictOnlyKeysWithATtl()
    {
        foreach (var policy in (string[])["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
        {
            await using var server = await KvServerFixture.StartAsync(["--maxmemory", "2mb", "--maxmemory-policy", policy]);
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            string value = new('v', ValueSize);
            for (int i = 0; i < 500; i++)
            {
                Assert.Equal("+OK", (await c.SendAsync("SET", "keep:" + i, value)).ToString());
            }

            for (int i = 0; i < 3000; i++)
            {
                var reply = await c.SendAsync("SET", Key(i), value, "EX", (1000 + i).ToString(CultureInfo.InvariantCulture));
                Assert.Equal("+OK", reply.ToString());
            }

            for (int i = 0; i < 500; i++)
            {
                Assert.Equal(":1", (await c.SendAsync("EXISTS", "keep:" + i)).ToString());
            }

            Assert.True((await c.SendAsync("DBSIZE")).Integer < 3500, policy);
            if (policy == "volatile-ttl")
            {
                // The keys closest to expiring go first.
                Assert.True(await CountExistingAsync(c, 0, 500) < await CountExistingAsync(c, 2500, 3000), policy);
            }
        }
    }

    [Fact]
    public async Task LfuCountersAndObjectFreq()
    {
        await using var server = await KvServerFixture.StartAsync(["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.SendAsync("SET", "k", "v");
        Assert.Equal(":5", (await c.SendAsync("OBJECT", "FREQ", "k")).ToString());
        for (int i = 0; i < 10; i++)
        {
            await c.SendAsync("GET", "k");
        }

        // lfu-log-factor 0: every access counts.
        Assert.Equal(":15", (await c.SendAsync("OBJECT", "FREQ", "k")).ToString());
        Assert.StartsWith("-ERR An LFU maxmemory policy is selected, idle time not tracked.", (await c.SendAsync("OBJECT", "IDLETIME", "k")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).ToString());
        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", (await c.SendAsync("OBJECT", "FREQ", "k")).ToString());
    }

    [Fact]
    public async Task LfuKeepsFrequentlyReadKeys()
    {
        await using var server = await KvServerFixture.StartAsync(["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lfu"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        string value = new('v', ValueSize);
        for (int i = 0; i < 200; i++)
        {
            await c.SendAsync("SET", "hot:" + i, value);
        }

        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 200; i++)
            {
                await c.WriteCommandAsync("GET", "hot:" + i);
            }

            for (int i = 0; i < 200; i++)
            {
                await c.ReadReplyAsync();
            }
        }

        for (int i = 0; i < 20_000; i++)
        {
            await c.WriteCommandAsync("SET", Key(i), value);
            if (i % 1000 == 999)
            {
                for (int j = 0; j < 1000; j++)
                {
                    await c.ReadReplyAsync();
                }
            }
        }

        int hot = 0;
        for (int i = 0; i < 200; i++)
        {
            hot += (int)(await c.SendAsync("EXISTS", "hot:" + i)).Integer;
        }

        Assert.True(hot >= 180, $"only {hot} of 200 hot keys survived");
    }

    [Fact]
    public async Task LruKeepsTheHotSetWhileColdWritesOverflowTheLimit()
    {
        // A hot set of 1,000 keys read all the time and a stream of cold writes 10x maxmemory in size.
        // The LRU clock ticks in seconds (as Redis's), so the fake clock moves a second per round.
        var clock = new ManualClock();
        await using var server = await KvServerFixture.StartAsync(["--maxmemory", "5mb", "--maxmemory-policy", "allkeys-lru"], clock);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        string value = new('v', ValueSize);
        const int HotKeys = 1000;
        for (int i = 0; i < HotKeys; i++)
        {
            await c.WriteCommandAsync("SET", "hot:" + i, value);
        }

        for (int i = 0; i < HotKeys; i++)
        {
            await c.ReadReplyAsync();
        }

        var random = new Random(7);
        long reads = 0, hits = 0;
        int cold = 0;
        for (int round = 0; round < 100; round++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            for (int i = 0; i < 500; i++)
            {
                await c.WriteCommandAsync("SET", Key(cold++), value);
                await c.WriteCommandAsync("GET", "hot:" + random.Next(HotKeys));
                await c.WriteCommandAsync("GET", "hot:" + random.Next(HotKeys));
            }

            for (int i = 0; i < 500; i++)
            {
                Assert.Equal("+OK", (await c.ReadReplyAsync()).ToString());
                for (int r = 0; r < 2; r++)
                {
                    reads++;
                    hits += (await c.ReadReplyAsync()).ToString() == "(nil)" ? 0 : 1;
                }
            }
        }

        // 50,000 cold keys of 1 KB went into 5 MB; the hot set (1 MB) must have stayed.
        Assert.True(long.Parse(Info(await c.SendAsync("INFO", "stats"))["evicted_keys"], CultureInfo.InvariantCulture) > 40_000);
        double hitRate = (double)hits / reads;
        Assert.True(hitRate > 0.9, $"hot-set hit rate {hitRate:P1} ({hits} of {reads})");
    }

    [Fact]
    public async Task EvictionsArePropagatedAsDelToTheAof()
    {
        string dir = _dir.FullName;
        long keys;
        await using (var server = await KvServerFixture.StartAsync(["--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random", "--appendonly", "yes", "--dir", dir]))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("CONFIG", "SET", "notify-keyspace-events", "Ee");
            await using var subscriber = await RespTestClient.ConnectAsync(server.Port);
            await subscriber.SendAsync("SUBSCRIBE", "__keyevent@0__:evicted");
            string value = new('v', ValueSize);
            for (int i = 0; i < 3000; i++)
            {
                await c.SendAsync("SET", Key(i), value);
            }

            keys = (await c.SendAsync("DBSIZE")).Integer;
            Assert.True(keys < 3000);
            var evicted = await subscriber.ReadReplyAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("$__keyevent@0__:evicted", evicted.Items![1].ToString());
        }

        Assert.Contains(AofFiles.Commands(AofFiles.LastIncr(dir)), command => command.StartsWith("DEL key:", StringComparison.Ordinal));
        await using (var server = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", dir]))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal(keys, (await c.SendAsync("DBSIZE")).Integer);
        }
    }

    /// <summary>
    /// maxmemory-eviction-tenacity 0 gives an eviction pass no time: it stops after 16 keys (Redis 7.0's
    /// evictionTimeLimitUs is 0 µs) and the eviction task goes on slice by slice. CONFIG SET maxmemory
    /// starts that task, so with no further command from any client the subscriber still hears of far
    /// more evictions than one pass makes, and memory comes under the limit.
    /// </summary>
    [Fact]
    public async Task EvictionOutOfTimeGoesOnWithoutCommands()
    {
        await using var server = await KvServerFixture.StartAsync(["--maxmemory-policy", "allkeys-random", "--maxmemory-eviction-tenacity", "0", "--notify-keyspace-events", "Ee"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await using var sub = await RespTestClient.ConnectAsync(server.Port);
        string value = new('v', ValueSize);
        for (int i = 0; i < 4000; i++)
        {
            await c.WriteCommandAsync("SET", Key(i), value);
        }

        for (int i = 0; i < 4000; i++)
        {
            Assert.Equal("+OK", (await c.ReadReplyAsync()).ToString());
        }

        long used = long.Parse(Info(await c.SendAsync("INFO", "memory"))["used_memory"], CultureInfo.InvariantCulture);
        Assert.Equal("*[$subscribe, $__keyevent@0__:evicted, :1]", (await sub.SendAsync("SUBSCRIBE", "__keyevent@0__:evicted")).ToString());
        long limit = used / 2;
        Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "maxmemory", limit.ToString(CultureInfo.InvariantCulture))).ToString());

        // From here no client sends a command until 20 passes' worth of evictions were announced.
        for (int i = 0; i < 16 * 20; i++)
        {
            var message = await sub.ReadReplyAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("message", message.Items![0].Text);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (long.Parse(Info(await c.SendAsync("INFO", "memory"))["used_memory"], CultureInfo.InvariantCulture) > limit)
        {
            Assert.True(DateTime.UtcNow < deadline, "memory did not come under maxmemory");
            await Task.Delay(10);
        }

        Assert.InRange((await c.SendAsync("DBSIZE")).Integer, 1000, 2100);
    }

    private static string Key(int i) => "key:" + i.ToString(CultureInfo.InvariantCulture);

    private static async Task<int> CountExistingAsync(RespTestClient c, int from, int to)
    {
        int count = 0;
        for (int i = from; i < to; i += 500)
        {
            var args = new List<object> { "EXISTS" };
            for (int j = i; j < Math.Min(to, i + 500); j++)
            {
                args.Add(Key(j));
            }

            count += (int)(await c.SendAsync([.. args])).Integer;
        }

        return count;
    }

    private static Dictionary<string, string> Info(RespReply reply) => AppendOnlyFileTests.Info(reply);
}
