using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Pub/sub against kv-server and a real redis-server side by side: subscription confirmations,
/// unsubscribe forms, subscribed-mode refusals, PING, RESET, and every message delivered (channels,
/// patterns, shard channels) in RESP2 and RESP3, scripted and as a seeded random stream. Two orders
/// are Redis's hash order and so compared as sets: UNSUBSCRIBE without arguments (the names; the
/// counts still in order) and the pmessages of one PUBLISH matching several patterns.
/// </summary>
public sealed class PubSubCompatTests : IClassFixture<RedisServerFixture>
{
    private static readonly string[] Channels = ["pc:a", "pc:b", "pc:news", "pc:c1", "other"];
    private static readonly string[] Patterns = ["pc:*", "*", "pc:?", "pc:n*s", "[po]*", "pc:c\\1"];
    private static readonly string[] ShardChannels = ["pc:a", "pc:s1", "pc:s2"];

    private readonly RedisServerFixture _fixture;

    public PubSubCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SubscriptionRepliesMatchRedis(int protocol)
    {
        await using var s = await _fixture.OpenSessionAsync(protocol: protocol);
        var model = new Model();
        await ExchangeAsync(s, model, ["UNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["PUNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["SUNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["UNSUBSCRIBE", "pc:a", "pc:b"]);
        await ExchangeAsync(s, model, ["SUBSCRIBE", "pc:a", "pc:b", "pc:a"]);
        await ExchangeAsync(s, model, ["PING"]);
        await ExchangeAsync(s, model, ["PING", "hello"]);
        await ExchangeAsync(s, model, ["GET", "pc:k"]);
        await ExchangeAsync(s, model, ["GET"]);
        await ExchangeAsync(s, model, ["NOSUCHCOMMAND", "x"]);
        await ExchangeAsync(s, model, ["PUBSUB", "NUMSUB", "pc:a"]);
        await ExchangeAsync(s, model, ["CLIENT", "REPLY", "ON"]);
        await ExchangeAsync(s, model, ["PSUBSCRIBE", "pc:*", "pc:?"]);
        await ExchangeAsync(s, model, ["SSUBSCRIBE", "pc:s1"]);
        await ExchangeAsync(s, model, ["SUNSUBSCRIBE", "pc:nope"]);
        await ExchangeAsync(s, model, ["UNSUBSCRIBE", "pc:b"]);
        await ExchangeAsync(s, model, ["UNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["PUNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["SUBSCRIBE"]);
        await ExchangeAsync(s, model, ["PUBLISH", "pc:s1", "not-a-shard-publish"]);
        // RESP3 may publish while subscribed: its own smessage push comes first, then the count.
        await ExchangeAsync(s, model, ["SPUBLISH", "pc:s1", "to-myself"], extraFrames: protocol == 3 ? 1 : 0);
        await ExchangeAsync(s, model, ["SUNSUBSCRIBE"]);
        await ExchangeAsync(s, model, ["SUBSCRIBE", "pc:x"]);
        await ExchangeAsync(s, model, ["RESET"]);
        model.Clear();
        await ExchangeAsync(s, model, ["PING"]);
        await ExchangeAsync(s, model, ["PUBSUB", "NUMSUB", "pc:x"]);
        await ExchangeAsync(s, model, ["PUBSUB", "CHANNELS", "pc:a", "pc:b"]);
        await ExchangeAsync(s, model, ["PUBSUB", "NUMPAT", "x"]);
        await ExchangeAsync(s, model, ["PUBSUB", "HELP"]);
        await ExchangeAsync(s, model, ["PUBSUB", "NOSUCH"]);
    }

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task DeliveredMessagesMatchRedis(int protocol)
    {
        await using var subscriber = await _fixture.OpenSessionAsync(protocol: protocol);
        await using var publisher = await _fixture.OpenSessionAsync();
        var model = new Model();
        await ExchangeAsync(subscriber, model, ["SUBSCRIBE", "pc:news", "pc:a"]);
        await ExchangeAsync(subscriber, model, ["PSUBSCRIBE", "pc:n*s", "[po]*", "pc:?"]);
        await ExchangeAsync(subscriber, model, ["SSUBSCRIBE", "pc:s1", "pc:a"]);
        foreach (var (command, channel, message) in new[]
        {
            ("PUBLISH", "pc:news", "both"), ("PUBLISH", "pc:a", "channel and two patterns"), ("PUBLISH", "other", "one pattern"),
            ("PUBLISH", "nothing", "nobody"), ("SPUBLISH", "pc:s1", "shard"), ("SPUBLISH", "pc:a", "shard twin"), ("PUBLISH", "pc:s1", "patterns only"),
            ("PUBLISH", "pc:news", ""), ("PUBLISH", "pc:news", "line\r\nbreak \0 binary"),
        })
        {
            await PublishAsync(publisher, subscriber, [command, channel, message]);
        }

        await ExchangeAsync(subscriber, model, ["PUNSUBSCRIBE", "[po]*"]);
        await PublishAsync(publisher, subscriber, ["PUBLISH", "other", "no longer"]);
        await publisher.CompareAsync(["PUBSUB", "NUMSUB", "pc:news", "pc:a", "pc:none"]);
        await publisher.CompareAsync(["PUBSUB", "SHARDNUMSUB", "pc:s1", "pc:a", "pc:none"]);
        await publisher.CompareAsync(["PUBSUB", "CHANNELS", "pc:*"], ReplyMatch.Unordered);
        await publisher.CompareAsync(["PUBSUB", "SHARDCHANNELS", "pc:*"], ReplyMatch.Unordered);
        await publisher.CompareAsync(["PUBSUB", "SHARDCHANNELS"], ReplyMatch.Unordered);
        if (protocol == 3)
        {
            // RESP3: the subscriber runs normal commands and publishes to itself (push, then the reply).
            await ExchangeAsync(subscriber, model, ["SET", "pc:key", "v"]);
            await ExchangeAsync(subscriber, model, ["GET", "pc:key"]);
            await ExchangeAsync(subscriber, model, ["DEL", "pc:key"]);
            await subscriber.Kv.WriteCommandAsync("PUBLISH", "pc:news", "self");
            await subscriber.Redis.WriteCommandAsync("PUBLISH", "pc:news", "self");
            await subscriber.CompareReadAsync("self message");
            await subscriber.CompareReadAsync("self pmessage");
            await subscriber.CompareReadAsync("PUBLISH reply");
        }

        await ExchangeAsync(subscriber, model, ["PING"]);
    }

    [RedisTheory]
    [InlineData(2, 31)]
    [InlineData(2, 32)]
    [InlineData(3, 33)]
    [InlineData(3, 34)]
    public async Task SeededPubSubStreamMatchesRedis(int protocol, int seed)
    {
        await using var subscriber = await _fixture.OpenSessionAsync(seed, protocol);
        await using var publisher = await _fixture.OpenSessionAsync(seed);
        var random = new Random(seed);
        var model = new Model();
        for (int step = 0; step < 300; step++)
        {
            int choice = random.Next(100);
            if (choice < 35)
            {
                string command = Pick(random, ["PUBLISH", "PUBLISH", "PUBLISH", "SPUBLISH"]);
                string channel = command == "SPUBLISH" ? Pick(random, ShardChannels) : Pick(random, Channels);
                await PublishAsync(publisher, subscriber, [command, channel, "m" + step.ToString(CultureInfo.InvariantCulture)]);
            }
            else if (choice < 45)
            {
                object[] query = random.Next(4) switch
                {
                    0 => ["PUBSUB", "NUMSUB", .. Some(random, Channels, 0, 3)],
                    1 => ["PUBSUB", "SHARDNUMSUB", .. Some(random, ShardChannels, 0, 2)],
                    2 => ["PUBSUB", "CHANNELS", "pc:*"],
                    _ => ["PUBSUB", "SHARDCHANNELS", Pick(random, ["pc:*", "pc:s?", "*"])],
                };
                await publisher.CompareAsync(query, query[1] is "CHANNELS" or "SHARDCHANNELS" ? ReplyMatch.Unordered : ReplyMatch.Exact);
            }
            else
            {
                object[] command = random.Next(12) switch
                {
                    0 or 1 => ["SUBSCRIBE", .. Some(random, Channels, 1, 3)],
                    2 => ["UNSUBSCRIBE", .. Some(random, Channels, 0, 2)],
                    3 or 4 => ["PSUBSCRIBE", .. Some(random, Patterns, 1, 2)],
                    5 => ["PUNSUBSCRIBE", .. Some(random, Patterns, 0, 2)],
                    6 => ["SSUBSCRIBE", .. Some(random, ShardChannels, 1, 2)],
                    7 => ["SUNSUBSCRIBE", .. Some(random, ShardChannels, 0, 2)],
                    8 => random.Next(2) == 0 ? ["PING"] : ["PING", "p" + step.ToString(CultureInfo.InvariantCulture)],
                    9 => ["SET", "pc:key", step],
                    10 => ["GET", "pc:key"],
                    _ => ["ECHO", "e"],
                };
                await ExchangeAsync(subscriber, model, command);
            }
        }

        // Nothing left unread on either side: the next frame is PING's reply.
        await ExchangeAsync(subscriber, model, ["PING", "end"]);
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static object[] Some(Random random, string[] pool, int min, int max)
    {
        int count = random.Next(min, max + 1);
        var picked = new object[count];
        for (int i = 0; i < count; i++)
        {
            picked[i] = Pick(random, pool);
        }

        return picked;
    }

    // Publishes on the publisher and reads, on the subscriber, as many frames as Redis says received it
    // (the subscriber is the only one listening to these names).
    private static async Task PublishAsync(CompatSession publisher, CompatSession subscriber, object[] command)
    {
        var receivers = await publisher.CompareAsync(command);
        await CompareFramesAsync(subscriber, command, (int)receivers.Integer, unordered: true);
    }

    // Sends a subscriber-side command to both servers and compares every frame it answers with.
    private static async Task ExchangeAsync(CompatSession s, Model model, object[] command, int extraFrames = 0)
    {
        await s.Kv.WriteCommandAsync(command);
        await s.Redis.WriteCommandAsync(command);
        int frames = model.FramesFor(command, out bool unordered) + extraFrames;
        await CompareFramesAsync(s, command, frames, unordered);
    }

    private static async Task CompareFramesAsync(CompatSession s, object[] command, int frames, bool unordered)
    {
        string label = ReplyComparison.RenderCommand(command);
        if (!unordered || frames < 2)
        {
            for (int i = 0; i < frames; i++)
            {
                await s.CompareReadAsync($"{label} (frame {i + 1} of {frames})");
            }

            return;
        }

        var kv = new List<string>();
        var redis = new List<string>();
        var kvCounts = new List<string>();
        var redisCounts = new List<string>();
        for (int i = 0; i < frames; i++)
        {
            Split(await s.Kv.ReadReplyAsync(), kv, kvCounts);
            Split(await s.Redis.ReadReplyAsync(), redis, redisCounts);
        }

        kv.Sort(StringComparer.Ordinal);
        redis.Sort(StringComparer.Ordinal);
        Assert.True(
            kv.SequenceEqual(redis) && kvCounts.SequenceEqual(redisCounts),
            $"{label} (seed {s.Seed}): frames differ.\nredis-server: {string.Join(" | ", redis)} counts {string.Join(",", redisCounts)}\nkv-server:    {string.Join(" | ", kv)} counts {string.Join(",", kvCounts)}");
    }

    // An unsubscribe confirmation's count depends on its position, so it is kept apart, in order.
    private static void Split(Infrastructure.RespReply frame, List<string> frames, List<string> counts)
    {
        if (frame.Items is { Count: 3 } items && items[2].Type == ':' && items[0].Text is { } kind && kind.EndsWith("unsubscribe", StringComparison.Ordinal))
        {
            frames.Add($"{frame.Type}{items[0].Text} {ReplyComparison.Canonical(items[1])}");
            counts.Add(items[2].Integer.ToString(CultureInfo.InvariantCulture));
            return;
        }

        frames.Add(ReplyComparison.Canonical(frame));
    }

    /// <summary>What the subscriber connection is subscribed to: how many frames each command answers with.</summary>
    private sealed class Model
    {
        private readonly HashSet<string> _channels = [];
        private readonly HashSet<string> _patterns = [];
        private readonly HashSet<string> _shards = [];

        public void Clear()
        {
            _channels.Clear();
            _patterns.Clear();
            _shards.Clear();
        }

        public int FramesFor(object[] command, out bool unordered)
        {
            unordered = false;
            string name = ((string)command[0]).ToUpperInvariant();
            var names = command.Skip(1).Select(a => Convert.ToString(a, CultureInfo.InvariantCulture)!).ToList();
            switch (name)
            {
                case "SUBSCRIBE" or "PSUBSCRIBE" or "SSUBSCRIBE" when names.Count > 0:
                    Set(name).UnionWith(names);
                    return names.Count;
                case "UNSUBSCRIBE" or "PUNSUBSCRIBE" or "SUNSUBSCRIBE":
                {
                    var set = Set(name);
                    if (names.Count > 0)
                    {
                        set.ExceptWith(names);
                        return names.Count;
                    }

                    // Without names: every subscription of the kind in Redis's hash order, or one null confirmation.
                    int frames = Math.Max(1, set.Count);
                    unordered = set.Count > 1;
                    set.Clear();
                    return frames;
                }

                case "RESET":
                    Clear();
                    return 1;
                default:
                    return 1;
            }
        }

        private HashSet<string> Set(string command) => command switch
        {
            "PSUBSCRIBE" or "PUNSUBSCRIBE" => _patterns,
            "SSUBSCRIBE" or "SUNSUBSCRIBE" => _shards,
            _ => _channels,
        };
    }
}
