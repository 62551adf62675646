using Kv.Server.Tests.Compatibility.Streams;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>A seeded random stream of stream commands (with a string key in the way) against a real redis-server.</summary>
public sealed class StreamCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public StreamCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [MemberData(nameof(StreamSettings.SeedsAndProtocols), MemberType = typeof(StreamSettings))]
    public async Task SeededStreamGetsTheSameRepliesAsRedis(int seed, int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.SendBothAsync(["HELLO", protocol.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var stream = new CommandStream(seed);
        int steps = StreamSettings.Steps(3000);
        for (int step = 1; step <= steps; step++)
        {
            var (args, kind) = StreamCommandGenerator.Next(stream, step);
            if (kind == StreamReplyKind.Exact)
            {
                await session.CompareAsync(args);
                continue;
            }

            var (kv, redis) = await session.SendBothAsync(args);
            string kvText = ReplyComparison.Canonical(Untimed(kv));
            string redisText = ReplyComparison.Canonical(Untimed(redis));
            Assert.True(kvText == redisText, $"seed {seed}, step {step}: {ReplyComparison.RenderCommand(args)}\nredis-server: {redisText}\nkv-server:    {kvText}");
        }

        await session.CompareAsync(["DBSIZE"]);
    }

    /// <summary>
    /// Blanks what depends on when each server ran the command: unix-ms timestamps (seen-time, delivery
    /// times), the value after "idle", and XPENDING's idle column (the third of [id, consumer, idle, count]).
    /// </summary>
    private static RespReply Untimed(RespReply reply)
    {
        if (reply.Type == ':' && reply.Integer > 1_000_000_000_000)
        {
            return reply with { Integer = 0 };
        }

        if (reply.Items is null)
        {
            return reply;
        }

        var items = new List<RespReply>(reply.Items.Count);
        for (int i = 0; i < reply.Items.Count; i++)
        {
            var item = reply.Items[i];
            bool afterIdle = i > 0 && reply.Items[i - 1].Text == "idle";
            bool pendingIdle = i == 2 && reply.Items.Count == 4 && reply.Items[0].Type == '$' && reply.Items[1].Type == '$' && item.Type == ':';
            items.Add(item.Type == ':' && (afterIdle || pendingIdle) ? item with { Integer = 0 } : Untimed(item));
        }

        return reply with { Items = items };
    }
}
