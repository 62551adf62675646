using System.Threading.Channels;
using Kv.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// StackExchange.Redis pub/sub against kv-server: channel and pattern subscriptions, unsubscribe,
/// and many messages in order, over RESP2 (a dedicated subscription connection) and RESP3 (pushes
/// on the interactive connection).
/// </summary>
public sealed class StackExchangeRedisPubSubTests : IClassFixture<KvServerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly KvServerFixture _fixture;

    public StackExchangeRedisPubSubTests(KvServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ChannelAndPatternSubscriptionsReceiveMessages(RedisProtocol protocol)
    {
        await using var redis = await ConnectAsync(protocol);
        var subscriber = redis.GetSubscriber();
        string prefix = $"se-ps-{protocol}:";
        var exact = Channel.CreateUnbounded<(string Channel, string Message)>();
        var pattern = Channel.CreateUnbounded<(string Channel, string Message)>();
        await subscriber.SubscribeAsync(RedisChannel.Literal(prefix + "news"), (ch, msg) => exact.Writer.TryWrite((ch.ToString(), msg.ToString())));
        await subscriber.SubscribeAsync(RedisChannel.Pattern(prefix + "n*"), (ch, msg) => pattern.Writer.TryWrite((ch.ToString(), msg.ToString())));

        Assert.Equal(2, await subscriber.PublishAsync(RedisChannel.Literal(prefix + "news"), "hello"));
        Assert.Equal((prefix + "news", "hello"), await Next(exact));
        Assert.Equal((prefix + "news", "hello"), await Next(pattern));

        Assert.Equal(1, await subscriber.PublishAsync(RedisChannel.Literal(prefix + "nope"), "only the pattern"));
        Assert.Equal((prefix + "nope", "only the pattern"), await Next(pattern));

        // Ordinary commands keep working next to the subscriptions.
        var db = redis.GetDatabase();
        Assert.True(await db.StringSetAsync(prefix + "key", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync(prefix + "key"));

        await subscriber.UnsubscribeAsync(RedisChannel.Literal(prefix + "news"));
        Assert.Equal(1, await subscriber.PublishAsync(RedisChannel.Literal(prefix + "news"), "pattern still"));
        Assert.Equal((prefix + "news", "pattern still"), await Next(pattern));
        await subscriber.UnsubscribeAllAsync();
        Assert.Equal(0, await subscriber.PublishAsync(RedisChannel.Literal(prefix + "news"), "nobody"));
        Assert.False(exact.Reader.TryRead(out _));
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ManyMessagesArriveInOrder(RedisProtocol protocol)
    {
        const int Messages = 1000;
        await using var redis = await ConnectAsync(protocol);
        var channel = RedisChannel.Literal($"se-order-{protocol}");
        var queue = await redis.GetSubscriber().SubscribeAsync(channel);
        await using var publisher = await ConnectAsync(RedisProtocol.Resp2);
        var sub = publisher.GetSubscriber();
        var sends = new Task<long>[Messages];
        for (int i = 0; i < Messages; i++)
        {
            sends[i] = sub.PublishAsync(channel, i);
        }

        Assert.All(await Task.WhenAll(sends), receivers => Assert.Equal(1, receivers));
        using var cts = new CancellationTokenSource(Deadline);
        for (int i = 0; i < Messages; i++)
        {
            var message = await queue.ReadAsync(cts.Token);
            Assert.Equal(i, (int)message.Message);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(RedisProtocol protocol)
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{_fixture.Port}");
        options.Protocol = protocol;
        options.ConnectTimeout = 5000;
        options.SyncTimeout = 5000;
        options.AsyncTimeout = 10000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static async Task<(string, string)> Next(Channel<(string Channel, string Message)> channel)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await channel.Reader.ReadAsync(cts.Token);
    }
}
