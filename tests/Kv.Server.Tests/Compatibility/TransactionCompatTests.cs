using System.Globalization;
using Kv.Server.Tests.Compatibility.Streams;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// MULTI/EXEC/DISCARD/WATCH/UNWATCH and keyspace notifications against a real redis-server 7.0:
/// hand-written corner cases, then seeded streams that mix transactions with the data commands of
/// the mixed-type stream and wrong commands, over two clients so WATCH conflicts happen; every reply
/// (and every notification) must agree.
/// </summary>
public sealed class TransactionCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    private static readonly HashSet<string> Blocking = ["blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"];

    public TransactionCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private static int Steps => StreamSettings.Steps(1500);

    [RedisFact]
    public async Task CornerCasesGetTheSameRepliesAsRedis()
    {
        await using var a = await _fixture.OpenSessionAsync();
        await using var b = await _fixture.OpenSessionAsync();
        await a.SendBothAsync(["FLUSHALL"]);
        object[][] script =
        [
            ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["WATCH", "k"], ["SET", "k", "1"], ["INCR", "k"], ["LPUSH", "k", "x"], ["EXEC"],
            ["MULTI"], ["SET", "k"], ["GET", "k"], ["EXEC"],
            ["MULTI"], ["NOSUCH", "a"], ["EXEC"],
            ["MULTI"], ["CONFIG", "NOSUCH"], ["EXEC"],
            ["MULTI"], ["SET", "k", "2"], ["EXEC", "extra"], ["EXEC"], ["GET", "k"],
            ["MULTI"], ["DISCARD", "extra"], ["EXEC"],
            ["MULTI"], ["MULTI", "extra"], ["EXEC"],
            ["MULTI"], ["BLPOP", "nolist", "0"], ["BRPOPLPUSH", "nolist", "x", "0"], ["BZPOPMIN", "nozset", "0"], ["BLMPOP", "0", "1", "nolist", "LEFT"], ["EXEC"],
            ["MULTI"], ["SELECT", "1"], ["SET", "k", "db1"], ["SELECT", "0"], ["EXEC"],
            ["MULTI"], ["PING"], ["ECHO", "x"], ["UNWATCH"], ["EXEC"],
            ["MULTI"], ["SET", "k", "v"], ["DISCARD"], ["GET", "k"],
            ["MULTI"], ["SET", "k", "v"], ["RESET"], ["EXEC"],
            ["MULTI"], ["AUTH", "nopass"], ["EXEC"],
            ["MULTI"], ["CLIENT", "SETNAME", "tx"], ["CLIENT", "GETNAME"], ["EXEC"], ["CLIENT", "SETNAME", ""],
            // no-multi commands are refused while queuing and never run by EXEC.
            ["SET", "k", "before"], ["MULTI"], ["SET", "k", "after"], ["SHUTDOWN"], ["EXEC"], ["GET", "k"],
            ["MULTI"], ["SHUTDOWN", "NOSAVE"], ["SAVE"], ["EXEC"], ["PING"],
        ];
        foreach (var command in script)
        {
            await a.CompareAsync(command);
        }

        // WATCH conflicts from the other client.
        object[][] watched =
        [
            ["SET", "w", "1"], ["WATCH", "w"], ["#B", "SET", "w", "2"], ["MULTI"], ["GET", "w"], ["EXEC"],
            ["WATCH", "w"], ["#B", "GET", "w"], ["MULTI"], ["GET", "w"], ["EXEC"],
            ["WATCH", "w"], ["#B", "SELECT", "1"], ["#B", "SET", "w", "x"], ["#B", "SELECT", "0"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "DEL", "nothere"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "FLUSHDB"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "FLUSHDB"], ["MULTI"], ["EXEC"],
            ["SET", "w", "1"], ["WATCH", "w"], ["#B", "SWAPDB", "0", "1"], ["MULTI"], ["EXEC"], ["#B", "SWAPDB", "0", "1"],
            ["WATCH", "w"], ["#B", "EXPIRE", "w", "100"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "PERSIST", "w"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "PERSIST", "w"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "SET", "w", "3"], ["UNWATCH"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["#B", "SET", "w", "3"], ["WATCH", "w2"], ["MULTI"], ["EXEC"],
            ["WATCH", "w"], ["MULTI"], ["#B", "SET", "w", "4"], ["SET", "w", "mine"], ["EXEC"], ["GET", "w"],
        ];
        foreach (var command in watched)
        {
            if (command[0] is "#B")
            {
                await b.CompareAsync(command[1..]);
            }
            else
            {
                await a.CompareAsync(command);
            }
        }
    }

    [RedisTheory]
    [MemberData(nameof(StreamSettings.SeedsAndProtocols), MemberType = typeof(StreamSettings))]
    public async Task SeededTransactionStreamGetsTheSameRepliesAsRedis(int seed, int protocol)
    {
        await using var a = await _fixture.OpenSessionAsync(seed, protocol);
        await using var b = await _fixture.OpenSessionAsync(seed, protocol);
        await a.SendBothAsync(["FLUSHALL"]);
        var stream = new CommandStream(seed);
        bool inMulti = false;
        int execs = 0, conflicts = 0;
        try
        {
            for (int i = 0; i < Steps; i++)
            {
                double roll = stream.Random.NextDouble();
                if (!inMulti && roll < 0.08)
                {
                    inMulti = !(await a.CompareAsync([stream.Word("multi")])).IsError;
                }
                else if (inMulti && roll < 0.08)
                {
                    var reply = await a.CompareAsync([stream.Word("exec")]);
                    execs++;
                    conflicts += reply.IsNull ? 1 : 0;
                    inMulti = false;
                }
                else if (inMulti && roll < 0.1)
                {
                    await a.CompareAsync([stream.Word("discard")]);
                    inMulti = false;
                }
                else if (roll < 0.16)
                {
                    await a.CompareAsync([stream.Word("watch"), .. Keys(stream)]);
                }
                else if (roll < 0.18)
                {
                    await a.CompareAsync([stream.Word("unwatch")]);
                }
                else if (inMulti && roll < 0.19)
                {
                    // Wrong while queuing: unknown command, arity error, nested MULTI.
                    await a.CompareAsync(stream.Pick<object[]>(["nosuchcommand", "k0"], [stream.Word("get")], [stream.Word("multi")], [stream.Word("set"), "k1"]));
                }
                else
                {
                    // Data commands: mostly the transaction's client, a third from the other (the WATCH conflicts).
                    var session = stream.Chance(0.35) ? b : a;
                    await session.CompareAsync(DeterministicStep(stream).Args);
                }
            }

            if (inMulti)
            {
                await a.CompareAsync(["EXEC"]);
            }
        }
        finally
        {
            await MixedTypeStreamTestsLimits.RestoreAsync(a);
        }

        Assert.True(Steps < 300 || (execs > 5 && conflicts > 0), $"{execs} EXECs, {conflicts} failed by WATCH: the stream does not exercise transactions.");
    }

    /// <summary>
    /// Keyspace notifications: notify-keyspace-events KEA (and then "KEAn" with new-key events) on both
    /// servers, one subscriber each on <c>__key*__:*</c>, the same deterministic data commands on
    /// both; every notification must agree, in order (expired events, timed by each server's own
    /// clock, as a multiset per chunk).
    /// </summary>
    [RedisTheory]
    [InlineData(1, "KEA")]
    [InlineData(2, "KEAn")]
    [InlineData(3, "Kgslhz$xn")]
    public async Task KeyspaceNotificationsMatchRedis(int seed, string flags)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await using var kvSubscriber = await _fixture.ConnectKvAsync();
        await using var redisSubscriber = await _fixture.ConnectRedisAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["CONFIG", "SET", "notify-keyspace-events", flags]);
        await kvSubscriber.SendAsync("PSUBSCRIBE", "__key*__:*");
        await redisSubscriber.SendAsync("PSUBSCRIBE", "__key*__:*");
        var stream = new CommandStream(seed);
        int total = 0;
        try
        {
            for (int chunk = 0; chunk < Steps / 50; chunk++)
            {
                var commands = new List<string>();
                for (int i = 0; i < 50; i++)
                {
                    var step = stream.Chance(0.1) ? new MixedStep([stream.Word("select"), stream.Random.Next(0, 2).ToString(CultureInfo.InvariantCulture)]) : DeterministicStep(stream);
                    commands.Add(ReplyComparison.RenderCommand(step.Args));
                    await session.CompareAsync(step.Args);
                }

                // A sentinel on a channel the pattern matches marks the end of this chunk's events.
                await session.SendBothAsync(["PUBLISH", "__keyevent@99__:end", chunk.ToString(CultureInfo.InvariantCulture)]);
                var kv = await ReadUntilSentinelAsync(kvSubscriber);
                var redis = await ReadUntilSentinelAsync(redisSubscriber);
                total += redis.Count;
                Assert.True(
                    Ordered(kv).SequenceEqual(Ordered(redis)) && Expired(kv).SequenceEqual(Expired(redis)),
                    $"seed {seed} chunk {chunk}: notifications differ.\ncommands:\n{string.Join("\n", commands)}\nredis:\n{string.Join("\n", redis)}\nkv:\n{string.Join("\n", kv)}");
            }
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "notify-keyspace-events", ""]);
            await session.SendBothAsync(["SELECT", "0"]);
            await MixedTypeStreamTestsLimits.RestoreAsync(session);
        }

        Assert.True(Steps < 300 || total > 100, $"only {total} notifications: the stream writes too little.");
    }

    /// <summary>MULTI/EXEC's commands notify as they run, a WATCHed key expired by the active cycle fails EXEC.</summary>
    [RedisFact]
    public async Task NotificationsFromExecAndExpiryMatchRedis()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await using var kvSubscriber = await _fixture.ConnectKvAsync();
        await using var redisSubscriber = await _fixture.ConnectRedisAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        await kvSubscriber.SendAsync("SUBSCRIBE", "__keyevent@0__:expired", "__keyspace@0__:t", "__keyevent@99__:end");
        await redisSubscriber.SendAsync("SUBSCRIBE", "__keyevent@0__:expired", "__keyspace@0__:t", "__keyevent@99__:end");
        for (int i = 0; i < 2; i++)
        {
            await kvSubscriber.ReadReplyAsync();
            await redisSubscriber.ReadReplyAsync();
        }

        try
        {
            foreach (object[] command in new object[][]
            {
                ["MULTI"], ["SET", "t", "1"], ["INCR", "t"], ["LPUSH", "t", "x"], ["DEL", "t"], ["EXEC"],
                ["SET", "gone", "1", "PX", "30"], ["WATCH", "gone"],
            })
            {
                await session.CompareAsync(command);
            }

            // Wait (with a deadline) for the active cycle to expire the key on both servers.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && ((await session.Kv.SendAsync("DBSIZE")).Integer != 0 || (await session.Redis.SendAsync("DBSIZE")).Integer != 0))
            {
                await Task.Delay(20);
            }

            await session.CompareAsync(["MULTI"]);
            await session.CompareAsync(["EXEC"]);
            await session.SendBothAsync(["PUBLISH", "__keyevent@99__:end", "x"]);
            var kv = await ReadUntilSentinelAsync(kvSubscriber);
            var redis = await ReadUntilSentinelAsync(redisSubscriber);
            Assert.Equal(redis, kv);
            Assert.Contains("__keyevent@0__:expired gone", redis);
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "notify-keyspace-events", ""]);
        }
    }

    private static IEnumerable<string> Ordered(List<string> events) => events.Where(e => !e.Contains("expired", StringComparison.Ordinal));

    private static IEnumerable<string> Expired(List<string> events) => events.Where(e => e.Contains("expired", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static async Task<List<string>> ReadUntilSentinelAsync(RespTestClient subscriber)
    {
        var events = new List<string>();
        while (true)
        {
            var reply = await subscriber.ReadReplyAsync(TimeSpan.FromSeconds(10));
            var items = reply.Items!;
            string channel = items[^2].Text!;
            if (channel == "__keyevent@99__:end")
            {
                return events;
            }

            events.Add(channel + " " + items[^1].Text);
        }
    }

    private static object[] Keys(CommandStream s)
    {
        var keys = new object[s.Random.Next(1, 4)];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = "k" + s.Random.Next(MixedCommandSources.KeySpace).ToString(CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>A step of the mixed stream whose reply is compared exactly and that never blocks.</summary>
    private static MixedStep DeterministicStep(CommandStream s)
    {
        while (true)
        {
            var (_, step) = MixedCommandSources.Next(s);
            if (step.Kind != MixedReplyKind.Exact || step.Args.Length == 0)
            {
                continue;
            }

            string name = ((string)step.Args[0]).ToLowerInvariant();
            if (step.Kind == MixedReplyKind.Exact && !Blocking.Contains(name) && name is not ("debug" or "randomkey" or "config"))
            {
                return step;
            }
        }
    }
}

/// <summary>Puts back the encoding limits a mixed stream may have changed (Redis 7.0's defaults).</summary>
internal static class MixedTypeStreamTestsLimits
{
    public static async Task RestoreAsync(CompatSession session)
    {
        foreach (var (name, value, _) in MixedCommandSources.EncodingLimits)
        {
            await session.SendBothAsync(["CONFIG", "SET", name, value]);
        }
    }
}
