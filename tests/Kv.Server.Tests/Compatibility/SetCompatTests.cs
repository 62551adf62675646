using System.Globalization;
using Kv.Server.Tests.Compatibility.Streams;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// A seeded random stream of set commands (and a few string writes, so types collide) goes to
/// kv-server and to a real redis-server. Deterministic replies must agree exactly; set-valued replies
/// exactly when Redis's order is defined (intset sources), else as sets; SPOP and SRANDMEMBER by
/// shape, count, membership and distinctness, after which a key SPOP left different on the two
/// servers is rebuilt on kv-server like redis-server's so the stream can go on comparing.
/// </summary>
public sealed class SetCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public SetCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    /// <summary>Seeds 11-13, or <c>KV_COMPAT_SEEDS=1,2,3</c>; longer streams with <c>KV_COMPAT_STEPS</c>.</summary>
    public static TheoryData<int> Seeds()
    {
        var configured = Environment.GetEnvironmentVariable("KV_COMPAT_SEEDS");
        if (string.IsNullOrWhiteSpace(configured))
        {
            return [11, 12, 13];
        }

        var seeds = new TheoryData<int>();
        foreach (var seed in configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            seeds.Add(int.Parse(seed, CultureInfo.InvariantCulture));
        }

        return seeds;
    }

    private static int Steps => int.TryParse(Environment.GetEnvironmentVariable("KV_COMPAT_STEPS"), CultureInfo.InvariantCulture, out int steps) ? steps : 1500;

    [RedisTheory]
    [MemberData(nameof(Seeds))]
    public async Task SeededSetStreamGetsTheSameRepliesAsRedis(int seed)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.SendBothAsync(["CONFIG", "SET", "set-max-intset-entries", "512"]);
        var stream = new CommandStream(seed);
        int errors = 0;
        try
        {
            for (int step = 0; step < Steps; step++)
            {
                var next = SetCommandGenerator.Next(stream);
                switch (next.Kind)
                {
                    case SetReplyKind.Exact:
                        errors += (await session.CompareAsync(next.Args)).IsError ? 1 : 0;
                        break;
                    case SetReplyKind.SetOrder:
                        bool ordered = await OrderIsDefinedAsync(session.Redis, next);
                        await session.CompareAsync(next.Args, ordered ? ReplyMatch.Exact : ReplyMatch.Unordered);
                        break;
                    case SetReplyKind.Random:
                        await CompareRandomAsync(session, next.Args);
                        break;
                    case SetReplyKind.ScanIteration:
                        await CompareScanAsync(session, next.Args);
                        break;
                }
            }

            // Both servers end with the same sets, in the same encodings.
            for (int k = 0; k < CommandStream.KeySpace; k++)
            {
                string key = "k" + k.ToString(CultureInfo.InvariantCulture);
                await session.CompareAsync(["TYPE", key]);
                await session.CompareAsync(["OBJECT", "ENCODING", key]);
                if ((await session.Redis.SendAsync("TYPE", key)).Text == "set")
                {
                    await session.CompareAsync(["SMEMBERS", key], ReplyMatch.Unordered);
                }
            }
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "set-max-intset-entries", "512"]);
        }

        Assert.True(errors < Steps / 3, $"{errors} of {Steps} commands were errors; the stream mostly tests error paths.");
    }

    // Redis's SINTER/SMEMBERS walk the smallest source, so with every source an intset (or missing)
    // the order is ascending and must match. SUNION/SDIFF walk a new set that stays an intset only
    // while it holds at most set-max-intset-entries members, so they also need every source within
    // the limit. Otherwise the order is a hashtable's, which Redis leaves unspecified.
    private static async Task<bool> OrderIsDefinedAsync(RespTestClient redis, SetStep step)
    {
        long limit = long.Parse((await redis.SendAsync("CONFIG", "GET", "set-max-intset-entries")).Items![1].Text!, CultureInfo.InvariantCulture);
        foreach (var key in step.SourceKeys)
        {
            var encoding = await redis.SendAsync("OBJECT", "ENCODING", key);
            if (encoding.IsNull)
            {
                continue;
            }

            if (encoding.Text != "intset" || (step.BuildsResult && (await redis.SendAsync("SCARD", key)).Integer > limit))
            {
                return false;
            }
        }

        // A union of intsets within the limit can still outgrow it (then the result is a hashtable).
        return !step.BuildsResult || ((await redis.SendAsync(step.Args)).Items?.Count ?? 0) <= limit;
    }

    private static async Task CompareRandomAsync(CompatSession session, object[] args)
    {
        var key = args[1];
        var kvBefore = await MembersAsync(session.Kv, key);
        var (kv, redis) = await session.SendBothAsync(args);
        string command = ReplyComparison.RenderCommand(args);
        string context = $"seed {session.Seed}, step {session.Step}: {command}\nredis-server: {ReplyComparison.Canonical(redis)}\nkv-server:    {ReplyComparison.Canonical(kv)}";
        bool isPop = string.Equals((string)args[0], "spop", StringComparison.OrdinalIgnoreCase);

        if (redis.IsError || redis.IsNull || redis.Type != kv.Type || (redis.Items is null && redis.Type != '$'))
        {
            Assert.True(ReplyComparison.Matches(kv, redis, ReplyMatch.Exact), context);
            return;
        }

        // Members are identified by their canonical rendering (binary-safe).
        var picked = (kv.Items ?? [kv]).Select(ReplyComparison.Canonical).ToList();
        if (kv.Items is not null)
        {
            Assert.True(kv.Items.Count == redis.Items!.Count, "different counts; " + context);
            bool distinct = isPop || args.Length < 3 || !((string)args[2]).StartsWith('-');
            if (distinct)
            {
                Assert.True(picked.Distinct().Count() == picked.Count, "repeated members; " + context);
            }
        }

        Assert.True(kvBefore is not null && picked.All(kvBefore.Contains), "members not in the set; " + context);
        if (isPop)
        {
            var redisPicked = (redis.Items ?? [redis]).Select(ReplyComparison.Canonical).ToHashSet();
            if (!redisPicked.SetEquals(picked))
            {
                await RebuildLikeRedisAsync(session, key);
            }

            await session.CompareAsync(["SMEMBERS", key], ReplyMatch.Unordered);
            await session.CompareAsync(["OBJECT", "ENCODING", key]);
        }
    }

    // kv-server popped other members than redis-server: rebuild the key on kv-server with
    // redis-server's members in redis-server's encoding (an intset built under a raised limit, or a
    // hashtable forced by a non-integer member added first and removed last).
    private static async Task RebuildLikeRedisAsync(CompatSession session, object key)
    {
        var members = await session.Redis.SendAsync("SMEMBERS", key);
        var encoding = (await session.Redis.SendAsync("OBJECT", "ENCODING", key)).Text;
        await session.Kv.SendAsync("DEL", key);
        if (members.Items is not { Count: > 0 } items)
        {
            return;
        }

        object[] raw = [.. items.Select(i => (object)i.Bytes!)];
        if (encoding == "intset")
        {
            var limit = (await session.Kv.SendAsync("CONFIG", "GET", "set-max-intset-entries")).Items![1].Text!;
            await session.Kv.SendAsync("CONFIG", "SET", "set-max-intset-entries", "1000000");
            await session.Kv.SendAsync(["SADD", key, .. raw]);
            await session.Kv.SendAsync("CONFIG", "SET", "set-max-intset-entries", limit);
        }
        else
        {
            const string Placeholder = "kv-reconcile (not an integer)";
            await session.Kv.SendAsync("SADD", key, Placeholder);
            await session.Kv.SendAsync(["SADD", key, .. raw]);
            await session.Kv.SendAsync("SREM", key, Placeholder);
        }
    }

    private static async Task<HashSet<string>?> MembersAsync(RespTestClient client, object key)
    {
        var reply = await client.SendAsync("SMEMBERS", key);
        return reply.Items?.Select(ReplyComparison.Canonical).ToHashSet(StringComparer.Ordinal);
    }

    // A full SSCAN on each server; cursors are implementation details, the members returned are compared as sets.
    private static async Task CompareScanAsync(CompatSession session, object[] args)
    {
        var kv = await ScanAllAsync(session.Kv, args);
        var redis = await ScanAllAsync(session.Redis, args);
        await session.CompareAsync(["ECHO", "sscan"]);
        Assert.True(kv == redis, $"seed {session.Seed}, step {session.Step}: {ReplyComparison.RenderCommand(args)}\nredis-server: {redis}\nkv-server:    {kv}");
    }

    private static async Task<string> ScanAllAsync(RespTestClient client, object[] args)
    {
        var members = new SortedSet<string>(StringComparer.Ordinal);
        string cursor = "0";
        for (int calls = 0; calls < 10_000; calls++)
        {
            object[] call = [args[0], args[1], cursor, .. args[2..]];
            var reply = await client.SendAsync(call);
            if (reply.Items is not { Count: 2 } items)
            {
                return ReplyComparison.Canonical(reply);
            }

            foreach (var member in items[1].Items!)
            {
                members.Add(ReplyComparison.Canonical(member));
            }

            cursor = items[0].Text!;
            if (cursor == "0")
            {
                return string.Join(", ", members);
            }
        }

        return "(SSCAN did not finish)";
    }
}
