using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Time inside scripts, functions and transactions, on kv-server and redis-server 7.0: keys expire
/// against the script's (or EXEC's) start for every command it runs, while times counted from now
/// (PEXPIRE, SET PX, PTTL) use the real time; and a key set to expire at a time TIME gave lives until a
/// later TIME reports that time.
/// </summary>
public sealed class ScriptTimeCompatTests : IClassFixture<RedisServerFixture>
{
    // TIME in microseconds; Lua 5.1's doubles hold it exactly.
    private const string NowUs = "local function now_us() local t = redis.call('time') return tonumber(t[1]) * 1000000 + tonumber(t[2]) end\n";

    // Waits past the key's expiry (by TIME) and then reads it: still there, held at the script's start.
    private const string WaitPastExpiryThenRead =
        "local at = redis.call('pexpiretime', KEYS[1])\n"
        + "if at < 0 then return 'expired before the script started' end\n"
        + "while now_us() < (at + 20) * 1000 do end\n"
        + "return {redis.call('get', KEYS[1]), redis.call('exists', KEYS[1]), redis.call('pttl', KEYS[1])}";

    private readonly RedisServerFixture _fixture;

    public ScriptTimeCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisFact]
    public async Task KeyExpiringDuringScriptStaysUntilTheScriptEnds()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["DEL", "held"]);
        await session.CompareAsync(["SET", "held", "v", "PX", "150"]);
        var reply = await session.CompareAsync(["EVAL", NowUs + WaitPastExpiryThenRead, "1", "held"]);
        Assert.Equal("*[$v, :1, :0]", reply.ToString());
        await session.CompareAsync(["EXISTS", "held"]);
        Assert.Equal(0, (await session.Kv.SendAsync("EXISTS", "held")).Integer);
    }

    [RedisFact]
    public async Task KeyExpiringDuringFunctionStaysUntilTheFunctionEnds()
    {
        await using var session = await _fixture.OpenSessionAsync();
        string library = "#!lua name=scripttime\n" + NowUs
            + "redis.register_function('held_read', function(KEYS, ARGV)\n" + WaitPastExpiryThenRead + "\nend)";
        await session.CompareAsync(["FUNCTION", "LOAD", "REPLACE", library]);
        await session.SendBothAsync(["DEL", "held"]);
        await session.CompareAsync(["SET", "held", "v", "PX", "150"]);
        var reply = await session.CompareAsync(["FCALL", "held_read", "1", "held"]);
        Assert.Equal("*[$v, :1, :0]", reply.ToString());
        await session.CompareAsync(["EXISTS", "held"]);
        await session.SendBothAsync(["FUNCTION", "DELETE", "scripttime"]);
    }

    [RedisFact]
    public async Task KeyExpiringDuringExecStaysUntilExecEnds()
    {
        // Redis 7.0's call() updates the cached time for the outermost command only, and keyIsExpired uses
        // it while fixed_time_expire is set: EXEC's commands see keys as at EXEC's start.
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["DEL", "held"]);
        await session.CompareAsync(["SET", "held", "v", "PX", "150"]);
        await session.CompareAsync(["MULTI"]);
        await session.CompareAsync(["EVAL", NowUs + "local s = now_us() while now_us() < s + 200000 do end return 1", "0"]);
        await session.CompareAsync(["GET", "held"]);
        await session.CompareAsync(["PTTL", "held"]);
        var reply = await session.CompareAsync(["EXEC"]);
        Assert.Equal("*[:1, $v, :0]", reply.ToString());
        await session.CompareAsync(["EXISTS", "held"]);
    }

    [RedisFact]
    public async Task RelativeExpiryInsideScriptCountsFromTheRealTime()
    {
        // PEXPIRE and SET PX 30 ms into a script: Redis 7.0 adds mstime(), not the script's start.
        const string script = NowUs
            + "local s = now_us() while now_us() < s + 30000 do end\n"
            + "local before = math.floor(now_us() / 1000)\n"
            + "redis.call('pexpire', KEYS[1], 1000)\n"
            + "redis.call('set', KEYS[2], 'v', 'px', 1000)\n"
            + "local after = math.floor(now_us() / 1000)\n"
            + "return {before, redis.call('pexpiretime', KEYS[1]), redis.call('pexpiretime', KEYS[2]), after, redis.call('pttl', KEYS[1])}";
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["SET", "rel1", "v"]);
        var (kv, redis) = await session.SendBothAsync(["EVAL", script, "2", "rel1", "rel2"]);
        foreach (var (server, reply) in new[] { ("kv-server", kv), ("redis-server", redis) })
        {
            Assert.True(reply.Items is { Count: 5 }, $"{server}: {reply}");
            long before = reply.Items[0].Integer, after = reply.Items[3].Integer;

            // One millisecond of slack for a clock calibration between the reads (never 30).
            Assert.InRange(reply.Items[1].Integer, before + 1000 - 1, after + 1000 + 1);
            Assert.InRange(reply.Items[2].Integer, before + 1000 - 1, after + 1000 + 1);
            Assert.InRange(reply.Items[4].Integer, 990, 1000);
        }

        await session.SendBothAsync(["DEL", "rel1", "rel2"]);
    }

    [RedisFact]
    public async Task KeyExpiringAtTimeFromTimeLivesUntilTimeReportsIt()
    {
        // A script sets the key to expire 5 ms after its TIME; another waits for TIME to reach that
        // millisecond; EXISTS and TIME are pipelined after it. EXISTS reads the clock before TIME does, so
        // while TIME still reports the expiry millisecond the key must be there (Redis: now > when).
        const string set = NowUs
            + "local at = math.floor(now_us() / 1000) + 5\n"
            + "redis.call('set', KEYS[1], 'v')\nredis.call('pexpireat', KEYS[1], at)\nreturn at";
        const string waitFor = NowUs + "while now_us() < tonumber(ARGV[1]) * 1000 do end return 1";
        foreach (bool kvServer in new[] { true, false })
        {
            await using var client = kvServer ? await _fixture.ConnectKvAsync() : await _fixture.ConnectRedisAsync();
            string server = kvServer ? "kv-server" : "redis-server";
            int inExpiryMillisecond = 0;
            for (int attempt = 0; attempt < 50 && inExpiryMillisecond < 3; attempt++)
            {
                long at = (await client.SendAsync("EVAL", set, "1", "until")).Integer;
                // Pipelined, so EXISTS runs right after the wait ends, within the millisecond most times.
                await client.WriteRawAsync([.. RespTestClient.Encode("EVAL", waitFor, "0", at), .. RespTestClient.Encode("EXISTS", "until"), .. RespTestClient.Encode("TIME")]);
                Assert.Equal(1, (await client.ReadReplyAsync()).Integer);
                long exists = (await client.ReadReplyAsync()).Integer;
                var time = await client.ReadReplyAsync();
                long now = (long.Parse(time.Items![0].Text!, CultureInfo.InvariantCulture) * 1000) + (long.Parse(time.Items[1].Text!, CultureInfo.InvariantCulture) / 1000);
                if (now == at)
                {
                    inExpiryMillisecond++;
                    Assert.True(exists == 1, $"{server}: the key set to expire at {at} (by TIME) was gone at TIME {now}");
                }
            }

            // Enough runs looked at the expiry millisecond itself, where a clock ahead of TIME shows.
            Assert.True(inExpiryMillisecond > 0, $"{server}: EXISTS never ran within the key's expiry millisecond");
            await client.SendAsync("DEL", "until");
        }
    }

    [RedisFact]
    public async Task RelativeExpiryInConcurrentScriptsNeverCountsFromBeforeTheScript()
    {
        // 50 connections running scripts at once: each PEXPIRE counts from a time not before the script's
        // own TIME (the stale-clock symptom was keys expiring up to ~20 ms early under load).
        const string script = NowUs
            + "local before = math.floor(now_us() / 1000)\n"
            + "redis.call('set', KEYS[1], 'v')\nredis.call('pexpire', KEYS[1], 60000)\n"
            + "return {before, redis.call('pexpiretime', KEYS[1])}";
        const int Connections = 50, Runs = 100;
        foreach (bool kvServer in new[] { true, false })
        {
            string server = kvServer ? "kv-server" : "redis-server";
            var workers = new Task<long>[Connections];
            for (int i = 0; i < Connections; i++)
            {
                string key = "load:" + i;
                workers[i] = Task.Run(async () =>
                {
                    await using var client = kvServer ? await _fixture.ConnectKvAsync() : await _fixture.ConnectRedisAsync();
                    long worst = long.MaxValue;
                    for (int run = 0; run < Runs; run++)
                    {
                        var reply = await client.SendAsync("EVAL", script, "1", key);
                        Assert.True(reply.Items is { Count: 2 }, $"{server}: {reply}");
                        worst = Math.Min(worst, reply.Items[1].Integer - 60000 - reply.Items[0].Integer);
                    }

                    await client.SendAsync("DEL", key);
                    return worst;
                });
            }

            long[] margins = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

            // One millisecond of slack for a clock calibration between TIME and PEXPIRE.
            Assert.All(margins, margin => Assert.True(margin >= -1, $"{server}: PEXPIRE counted from {-margin} ms before the script's TIME"));
        }
    }
}
