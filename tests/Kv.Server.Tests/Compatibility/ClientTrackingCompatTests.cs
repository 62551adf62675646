using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Client-side caching against kv-server and a real redis-server side by side, with two or three
/// connections each: every reply and every invalidation push or __redis__:invalidate message is
/// compared. After each step the tracking connection sends PING and everything it receives up to
/// PONG is compared frame by frame, so a missing, extra or misplaced invalidation fails. Client ids
/// differ between the servers, so redirects are set up per server and ids in replies are checked,
/// not compared.
/// </summary>
public sealed class ClientTrackingCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    // Sessions between MULTI and EXEC: there PING would be queued, so nothing is drained.
    private readonly HashSet<CompatSession> _inMulti = [];

    public ClientTrackingCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisFact]
    public async Task OptionErrorsAndIntrospectionMatchRedis()
    {
        await using var s = await _fixture.OpenSessionAsync(protocol: 2);
        object[][] script =
        [
            ["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
            ["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"],
            ["CLIENT", "TRACKING", "on", "PREFIX", "x"],
            ["CLIENT", "TRACKING", "on", "NOPE"],
            ["CLIENT", "TRACKING", "perhaps"],
            ["CLIENT", "TRACKING", "off", "BCAST", "x"],
            ["CLIENT", "TRACKING", "on", "REDIRECT"],
            ["CLIENT", "TRACKING", "on", "REDIRECT", "x"],
            ["CLIENT", "TRACKING", "on", "REDIRECT", "-5"],
            ["CLIENT", "TRACKING", "on", "REDIRECT", "987654"],
            ["CLIENT", "TRACKING"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "a"],
            ["CLIENT", "GETREDIR"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "CACHING", "yes"],
            ["CLIENT", "CACHING", "no"],
            ["CLIENT", "CACHING"],
            ["CLIENT", "GETREDIR", "x"],
            ["CLIENT", "TRACKINGINFO", "x"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "x", "NOLOOP"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bz"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x"],
            ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", ""],
            ["CLIENT", "TRACKING", "on", "BCAST"],
            ["CLIENT", "TRACKING", "on"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "GETREDIR"],
            ["CLIENT", "CACHING", "yes"],
            ["CLIENT", "TRACKING", "off"],
            ["CLIENT", "TRACKING", "off"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"],
            ["CLIENT", "CACHING", "no"],
            ["CLIENT", "CACHING", "maybe"],
            ["CLIENT", "CACHING", "yes"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "ID"],
            ["CLIENT", "TRACKINGINFO"],
            ["PING"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "TRACKING", "on", "OPTOUT"],
            ["CLIENT", "TRACKING", "on", "OPTIN"],
            ["CLIENT", "TRACKINGINFO"],
            ["CLIENT", "TRACKING", "off"],
            ["CLIENT", "TRACKING", "on", "OPTOUT"],
            ["CLIENT", "CACHING", "yes"],
            ["CLIENT", "CACHING", "no"],
            ["CLIENT", "TRACKINGINFO"],
            ["RESET"],
            ["CLIENT", "TRACKINGINFO"],
        ];
        foreach (var command in script)
        {
            if (command[0] is "CLIENT" && command.Length > 1 && command[1] is "ID")
            {
                await s.SendBothAsync(command);
                continue;
            }

            await s.CompareAsync(command);
        }
    }

    [RedisTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DefaultModeInvalidationsMatchRedis(bool noLoop)
    {
        await using var tracker = await _fixture.OpenSessionAsync(protocol: 3);
        await using var writer = await _fixture.OpenSessionAsync();
        await writer.CompareAsync(["FLUSHALL"]);
        await StepAsync(tracker, tracker, noLoop ? ["CLIENT", "TRACKING", "on", "NOLOOP"] : ["CLIENT", "TRACKING", "on"]);
        object[][] script =
        [
            ["T", "GET", "dt:a"], ["T", "MGET", "dt:b", "dt:c", "dt:a"], ["W", "SET", "dt:a", "1"], ["W", "SET", "dt:a", "2"],
            ["W", "MSET", "dt:b", "1", "dt:c", "2", "dt:d", "3"], ["T", "GET", "dt:a"], ["T", "SET", "dt:a", "3"], ["T", "GET", "dt:a"],
            ["T", "DEL", "dt:a"], ["T", "STRLEN", "dt:b"], ["T", "EXISTS", "dt:c", "dt:d"], ["W", "APPEND", "dt:b", "x"], ["W", "INCR", "dt:c"],
            ["W", "EXPIRE", "dt:d", "100"], ["T", "HSET", "dt:h", "f", "v"], ["T", "HGET", "dt:h", "f"], ["T", "GET", "dt:h"],
            ["W", "HSET", "dt:h", "f", "2"], ["T", "TYPE", "dt:h"], ["W", "RENAME", "dt:h", "dt:h2"], ["T", "LRANGE", "dt:l", "0", "-1"],
            ["W", "LPUSH", "dt:l", "a"], ["T", "SMEMBERS", "dt:s"], ["T", "ZRANGE", "dt:z", "0", "-1"], ["W", "SADD", "dt:s", "a"],
            ["W", "ZADD", "dt:z", "1", "a"], ["T", "GET", "dt:x"], ["T", "GET", "dt:y"], ["W", "FLUSHDB"], ["W", "SET", "dt:x", "1"],
            ["T", "GET", "dt:x"], ["T", "FLUSHALL"], ["T", "GET", "dt:x"], ["T", "MULTI"], ["T", "GET", "dt:x"], ["T", "SET", "dt:x", "2"],
            ["T", "EXEC"], ["W", "SET", "dt:x", "3"], ["T", "EVAL", "return redis.call('get', KEYS[1])", "1", "dt:e"],
            ["T", "EVAL_RO", "return redis.call('exists', KEYS[1])", "1", "dt:f"], ["W", "MSET", "dt:e", "1", "dt:f", "2"],
            ["T", "EVAL", "redis.call('get', KEYS[1]) return redis.call('set', KEYS[1], 'v')", "1", "dt:g"],
            // A script that reads anything makes Redis remember the keys it declared, not the ones it read.
            ["T", "EVAL", "redis.call('set', 'dt:k3', 'bar')", "2", "dt:k1", "dt:k2"], ["W", "MSET", "dt:k2", "1", "dt:k1", "1"],
            ["T", "EVAL", "redis.call('get', 'dt:k3')", "2", "dt:k1", "dt:k2"], ["W", "MSET", "dt:k2", "2", "dt:k1", "2", "dt:k3", "2"],
            ["T", "EVAL_RO", "redis.call('ping')", "2", "dt:k1", "dt:k2"], ["W", "MSET", "dt:k2", "3", "dt:k1", "3"],
            ["T", "EVAL_RO", "redis.call('get', 'dt:k3')", "2", "dt:k1", "dt:k2"], ["W", "MSET", "dt:k2", "4", "dt:k1", "4", "dt:k3", "4"],
            ["T", "CLIENT", "TRACKING", "off"], ["W", "SET", "dt:x", "4"],
        ];
        await RunScriptAsync(tracker, writer, script);
    }

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task BroadcastInvalidationsMatchRedis(int protocol)
    {
        await using var tracker = await _fixture.OpenSessionAsync(protocol: 3);
        await using var loop = await _fixture.OpenSessionAsync(protocol: 3);
        await using var writer = await _fixture.OpenSessionAsync(protocol: protocol);
        await writer.CompareAsync(["FLUSHALL"]);
        await StepAsync(tracker, tracker, ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bt:user:", "PREFIX", "bt:a"]);
        await StepAsync(loop, loop, ["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"]);
        object[][] script =
        [
            ["W", "MSET", "bt:user:2", "1", "bt:user:1", "2", "bt:b", "3", "bt:abc", "4"], ["W", "SET", "nothing", "1"],
            ["T", "SET", "bt:user:3", "1"], ["T", "GET", "bt:user:3"], ["W", "DEL", "bt:user:3", "bt:user:1", "missing"],
            ["W", "HSET", "bt:a:h", "f", "v"], ["W", "HDEL", "bt:a:h", "f"], ["W", "RENAME", "bt:user:2", "bt:zz"],
            ["T", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bt:z"], ["W", "SET", "bt:zz", "2"], ["T", "CLIENT", "TRACKINGINFO"],
            ["W", "FLUSHDB"], ["W", "SET", "bt:abc", "5"],
        ];
        await RunScriptAsync(tracker, writer, script, loop);

        // The NOLOOP client's own changes are left out of what it receives.
        await StepAsync(loop, loop, ["MSET", "bt:self", "1", "bt:user:9", "2"]);
        await DrainAsync(tracker, "tracker after the NOLOOP client's MSET");
    }

    [RedisTheory]
    [InlineData("OPTIN")]
    [InlineData("OPTOUT")]
    public async Task OptInOptOutMatchRedis(string mode)
    {
        await using var tracker = await _fixture.OpenSessionAsync(protocol: 3);
        await using var writer = await _fixture.OpenSessionAsync();
        await writer.CompareAsync(["FLUSHALL"]);
        await StepAsync(tracker, tracker, ["CLIENT", "TRACKING", "on", mode]);
        string caching = mode == "OPTIN" ? "yes" : "no";
        object[][] script =
        [
            ["T", "GET", "oo:a"], ["W", "SET", "oo:a", "1"], ["T", "CLIENT", "CACHING", caching], ["T", "GET", "oo:a"], ["T", "GET", "oo:b"],
            ["W", "MSET", "oo:a", "2", "oo:b", "2"], ["T", "CLIENT", "CACHING", caching], ["T", "CLIENT", "TRACKINGINFO"], ["T", "MGET", "oo:a", "oo:b"],
            ["W", "MSET", "oo:a", "3", "oo:b", "3"], ["T", "CLIENT", "CACHING", caching], ["T", "MULTI"], ["T", "GET", "oo:a"], ["T", "GET", "oo:c"],
            ["T", "EXEC"], ["T", "GET", "oo:b"], ["W", "MSET", "oo:a", "4", "oo:b", "4", "oo:c", "4"], ["T", "CLIENT", "CACHING", caching],
            ["T", "NOSUCHCOMMAND"], ["T", "GET", "oo:c"], ["W", "SET", "oo:c", "5"],
        ];
        await RunScriptAsync(tracker, writer, script);
    }

    [RedisFact]
    public async Task Resp2RedirectMessagesMatchRedis()
    {
        await using var target = await _fixture.OpenSessionAsync();
        await using var tracker = await _fixture.OpenSessionAsync();
        await using var writer = await _fixture.OpenSessionAsync();
        await writer.CompareAsync(["FLUSHALL"]);
        await RedirectAsync(tracker, target, "CLIENT", "TRACKING", "on", "REDIRECT");
        await StepAsync(tracker, target, ["GET", "rr:a"]);
        await StepAsync(writer, target, ["SET", "rr:a", "1"]);
        await target.CompareAsync(["SUBSCRIBE", "rr:unrelated"]);
        await StepAsync(tracker, target, ["MGET", "rr:a", "rr:b"]);
        await StepAsync(writer, target, ["MSET", "rr:a", "2", "rr:b", "2"]);
        await StepAsync(tracker, target, ["GET", "rr:a"]);
        await StepAsync(tracker, target, ["SET", "rr:a", "3"]);
        await StepAsync(writer, target, ["FLUSHALL"]);
        await target.CompareAsync(["SUBSCRIBE", "__redis__:invalidate"]);
        await StepAsync(tracker, target, ["GET", "rr:c"]);
        await StepAsync(writer, target, ["DEL", "rr:c"]);
        await StepAsync(writer, target, ["SET", "rr:c", "1"]);
        await target.CompareAsync(["UNSUBSCRIBE", "rr:unrelated", "__redis__:invalidate"]);
        await target.CompareReadAsync("second unsubscribe confirmation");
        await StepAsync(tracker, target, ["GET", "rr:c"]);
        await StepAsync(writer, target, ["SET", "rr:c", "2"]);
    }

    [RedisFact]
    public async Task Resp3RedirectAndBrokenRedirectMatchRedis()
    {
        await using var tracker = await _fixture.OpenSessionAsync(protocol: 3);
        await using var writer = await _fixture.OpenSessionAsync();
        await writer.CompareAsync(["FLUSHALL"]);
        var target = await _fixture.OpenSessionAsync(protocol: 3);
        var (kvTarget, redisTarget) = await RedirectAsync(tracker, target, "CLIENT", "TRACKING", "on", "REDIRECT");
        await StepAsync(tracker, target, ["GET", "r3:a"]);
        await StepAsync(writer, target, ["SET", "r3:a", "1"]);
        await StepAsync(tracker, target, ["GET", "r3:a"]);
        await target.CompareAsync(["QUIT"]);
        await target.DisposeAsync();
        await WaitGoneAsync(writer, kvTarget, redisTarget);

        // The push names the (server-specific) id of the target that is gone.
        await writer.CompareAsync(["SET", "r3:a", "2"]);
        await PingBothAsync(tracker);
        var kvFrames = await FramesUntilPongAsync(tracker.Kv);
        var redisFrames = await FramesUntilPongAsync(tracker.Redis);
        Assert.Equal([$">[$\"tracking-redir-broken\", :{redisTarget}]", "+PONG"], redisFrames);
        Assert.Equal([$">[$\"tracking-redir-broken\", :{kvTarget}]", "+PONG"], kvFrames);
        var (kvInfo, redisInfo) = await tracker.SendBothAsync(["CLIENT", "TRACKINGINFO"]);
        Assert.Equal(redisInfo.Items![1].ToString(), kvInfo.Items![1].ToString());
        await StepAsync(tracker, tracker, ["CLIENT", "TRACKING", "on"]);
        await StepAsync(tracker, tracker, ["CLIENT", "TRACKINGINFO"]);
        await StepAsync(tracker, tracker, ["GET", "r3:a"]);
        await StepAsync(writer, tracker, ["SET", "r3:a", "3"]);
    }

    [RedisTheory]
    [InlineData(41, "")]
    [InlineData(42, "NOLOOP")]
    [InlineData(43, "OPTIN")]
    [InlineData(44, "OPTOUT")]
    [InlineData(45, "BCAST")]
    public async Task SeededTrackingStreamMatchesRedis(int seed, string mode)
    {
        await using var tracker = await _fixture.OpenSessionAsync(seed, protocol: 3);
        await using var writer = await _fixture.OpenSessionAsync(seed);
        await writer.CompareAsync(["FLUSHALL"]);
        object[] on = mode switch
        {
            "" => ["CLIENT", "TRACKING", "on"],
            "BCAST" => ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "sk:1", "PREFIX", "sk:h"],
            _ => ["CLIENT", "TRACKING", "on", mode],
        };
        await StepAsync(tracker, tracker, on);
        var random = new Random(seed);
        string[] keys = ["sk:1", "sk:2", "sk:3", "sk:10", "sk:h"];
        string Key() => keys[random.Next(keys.Length)];
        for (int step = 0; step < 250; step++)
        {
            string value = step.ToString(CultureInfo.InvariantCulture);
            object[] command = random.Next(16) switch
            {
                0 or 1 => ["GET", Key()],
                2 => ["MGET", Key(), Key(), Key()],
                3 => ["EXISTS", Key(), Key()],
                4 => ["HGET", "sk:h", "f"],
                5 or 6 => ["SET", Key(), value],
                7 => ["DEL", Key(), Key()],
                8 => ["MSET", Key(), value, Key(), value],
                9 => ["HSET", "sk:h", "f", value],
                10 => ["INCR", Key()],
                11 => ["EXPIRE", Key(), "1000"],
                12 => ["CLIENT", "CACHING", random.Next(2) == 0 ? "yes" : "no"],
                13 => ["RENAME", Key(), Key()],
                14 => random.Next(8) == 0 ? ["FLUSHDB"] : ["STRLEN", Key()],
                _ => ["APPEND", Key(), "x"],
            };
            var by = random.Next(3) == 0 || command[0] is "CLIENT" or "GET" or "MGET" or "EXISTS" or "HGET" or "STRLEN" ? tracker : writer;
            await StepAsync(by, tracker, command);
        }
    }

    private async Task RunScriptAsync(CompatSession tracker, CompatSession writer, object[][] script, CompatSession? also = null)
    {
        foreach (var line in script)
        {
            var by = (string)line[0] == "T" ? tracker : writer;
            await StepAsync(by, tracker, line[1..]);
            if (also is not null)
            {
                await DrainAsync(also, "second tracking client");
            }
        }
    }

    // Runs one command and compares what the tracking connection receives up to a PING's reply. When
    // the command runs on the tracking connection itself, its reply is among those frames.
    // The reply is read before PING is sent: were both in one read, Redis (and kv-server) would run
    // them in one batch and announce BCAST keys only after PONG.
    private async Task StepAsync(CompatSession by, CompatSession tracker, object[] command)
    {
        string name = ((string)command[0]).ToUpperInvariant();
        await by.CompareAsync(command);
        if (name == "MULTI")
        {
            _inMulti.Add(by);
        }
        else if (name is "EXEC" or "DISCARD")
        {
            _inMulti.Remove(by);
        }

        if (!_inMulti.Contains(tracker))
        {
            await DrainAsync(tracker, ReplyComparison.RenderCommand(command));
        }
    }

    private static async Task DrainAsync(CompatSession tracker, string label)
    {
        await PingBothAsync(tracker);
        var kv = await FramesUntilPongAsync(tracker.Kv);
        var redis = await FramesUntilPongAsync(tracker.Redis);
        Assert.True(
            kv.SequenceEqual(redis),
            $"after {label} (seed {tracker.Seed}): frames differ.\nredis-server: {string.Join(" | ", redis)}\nkv-server:    {string.Join(" | ", kv)}");
    }

    private static Task PingBothAsync(CompatSession s) => Task.WhenAll(s.Kv.WriteCommandAsync("PING"), s.Redis.WriteCommandAsync("PING"));

    // A RESP2 subscriber answers PING with ["pong", ""]; everything else ends with +PONG.
    private static async Task<List<string>> FramesUntilPongAsync(RespTestClient client)
    {
        var frames = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            var reply = await client.ReadReplyAsync();
            frames.Add(ReplyComparison.Canonical(reply));
            if (reply is { Type: '+', Text: "PONG" } || reply is { Type: '*', Items: [{ Text: "pong" }, _] })
            {
                return frames;
            }
        }

        return frames;
    }

    // Sends the command with each server's own id of the target's connection appended; compares the replies.
    private static async Task<(long Kv, long Redis)> RedirectAsync(CompatSession tracker, CompatSession target, params object[] command)
    {
        var (kvId, redisId) = await target.SendBothAsync(["CLIENT", "ID"]);
        var kvReply = await tracker.Kv.SendAsync([.. command, kvId.Integer]);
        var redisReply = await tracker.Redis.SendAsync([.. command, redisId.Integer]);
        Assert.Equal(redisReply.ToString(), kvReply.ToString());
        return (kvId.Integer, redisId.Integer);
    }

    private static async Task WaitGoneAsync(CompatSession s, long kvId, long redisId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await s.Kv.SendAsync("CLIENT", "LIST", "ID", kvId)).ToString().Contains($"id={kvId} ", StringComparison.Ordinal)
            || (await s.Redis.SendAsync("CLIENT", "LIST", "ID", redisId)).ToString().Contains($"id={redisId} ", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, "the redirect target did not leave within the deadline");
            await Task.Delay(10);
        }
    }
}
