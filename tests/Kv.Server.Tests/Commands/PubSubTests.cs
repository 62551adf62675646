using System.Net.Sockets;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// Pub/sub over real sockets: confirmations, delivery to other connections (channels, patterns,
/// shard channels), RESP2 subscribed mode, RESP3 pushes, RESET and disconnects, introspection, and
/// the pubsub output-buffer limit that disconnects a subscriber that stops reading.
/// </summary>
public sealed class PubSubTests : IClassFixture<KvServerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly KvServerFixture _fixture;

    public PubSubTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SubscribeConfirmsEachChannelWithTheRunningCount()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.WriteCommandAsync("SUBSCRIBE", "sc:a", "sc:b", "sc:a");
        Assert.Equal("*[$subscribe, $sc:a, :1]", (await c.ReadReplyAsync()).ToString());
        Assert.Equal("*[$subscribe, $sc:b, :2]", (await c.ReadReplyAsync()).ToString());
        Assert.Equal("*[$subscribe, $sc:a, :2]", (await c.ReadReplyAsync()).ToString());

        // Patterns share the count with channels; shard channels count apart.
        Assert.Equal("*[$psubscribe, $sc:*, :3]", (await c.SendAsync("PSUBSCRIBE", "sc:*")).ToString());
        Assert.Equal("*[$ssubscribe, $sc:s, :1]", (await c.SendAsync("SSUBSCRIBE", "sc:s")).ToString());
        Assert.Equal("*[$unsubscribe, $sc:zz, :3]", (await c.SendAsync("UNSUBSCRIBE", "sc:zz")).ToString());
        Assert.Equal("*[$punsubscribe, $sc:*, :2]", (await c.SendAsync("PUNSUBSCRIBE", "sc:*")).ToString());
        Assert.Equal("*[$punsubscribe, (nil), :2]", (await c.SendAsync("PUNSUBSCRIBE")).ToString());
        Assert.Equal("*[$sunsubscribe, $sc:s, :0]", (await c.SendAsync("SUNSUBSCRIBE")).ToString());

        await c.WriteCommandAsync("UNSUBSCRIBE");
        var names = new SortedSet<string> { (await c.ReadReplyAsync()).Items![1].Text!, (await c.ReadReplyAsync()).Items![1].Text! };
        Assert.Equal(["sc:a", "sc:b"], names);
        Assert.Equal("*[$unsubscribe, (nil), :0]", (await c.SendAsync("UNSUBSCRIBE")).ToString());

        // Out of subscribed mode, normal commands work again.
        Assert.Equal("+PONG", (await c.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task MessagesReachChannelPatternAndShardSubscribersOnOtherConnections()
    {
        await using var channel = await _fixture.ConnectAsync();
        await using var pattern = await _fixture.ConnectAsync();
        await using var shard = await _fixture.ConnectAsync();
        await using var publisher = await _fixture.ConnectAsync();
        await channel.SendAsync("SUBSCRIBE", "mr:news");
        await pattern.SendAsync("PSUBSCRIBE", "mr:n*");
        await shard.SendAsync("SSUBSCRIBE", "mr:news");

        Assert.Equal(":2", (await publisher.SendAsync("PUBLISH", "mr:news", "hello")).ToString());
        Assert.Equal("*[$message, $mr:news, $hello]", (await channel.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("*[$pmessage, $mr:n*, $mr:news, $hello]", (await pattern.ReadReplyAsync(Deadline)).ToString());

        // SPUBLISH reaches shard subscribers only; patterns never see shard channels.
        Assert.Equal(":1", (await publisher.SendAsync("SPUBLISH", "mr:news", "sharded")).ToString());
        Assert.Equal("*[$smessage, $mr:news, $sharded]", (await shard.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(":1", (await publisher.SendAsync("PUBLISH", "mr:nope", "x")).ToString());
        Assert.Equal("*[$pmessage, $mr:n*, $mr:nope, $x]", (await pattern.ReadReplyAsync(Deadline)).ToString());

        // Binary channels and payloads pass through untouched.
        byte[] payload = [0, 13, 10, 255, (byte)'*'];
        Assert.Equal(":2", (await publisher.SendAsync("PUBLISH", "mr:news", payload)).ToString());
        Assert.Equal(payload, (await channel.ReadReplyAsync(Deadline)).Items![2].Bytes);
        Assert.Equal(payload, (await pattern.ReadReplyAsync(Deadline)).Items![3].Bytes);
    }

    [Fact]
    public async Task ManyMessagesArriveInOrderAtEverySubscriber()
    {
        const int Messages = 2000;
        var subscribers = new List<RespTestClient>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var s = await _fixture.ConnectAsync();
                subscribers.Add(s);
                await s.SendAsync(i % 2 == 0 ? "SUBSCRIBE" : "PSUBSCRIBE", i % 2 == 0 ? "order:ch" : "order:*");
            }

            await using var publisher = await _fixture.ConnectAsync();
            var readers = subscribers.Select(async (s, index) =>
            {
                for (int m = 0; m < Messages; m++)
                {
                    var frame = await s.ReadReplyAsync(Deadline);
                    Assert.Equal(m.ToString(System.Globalization.CultureInfo.InvariantCulture), frame.Items![^1].Text);
                }
            }).ToList();

            var pipeline = new List<byte>();
            for (int m = 0; m < Messages; m++)
            {
                pipeline.AddRange(RespTestClient.Encode("PUBLISH", "order:ch", m));
            }

            await publisher.WriteRawAsync(pipeline.ToArray());
            for (int m = 0; m < Messages; m++)
            {
                Assert.Equal(":4", (await publisher.ReadReplyAsync(Deadline)).ToString());
            }

            await Task.WhenAll(readers);
        }
        finally
        {
            foreach (var s in subscribers)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Resp2SubscribedModeAllowsOnlySubscriptionCommandsPingQuitAndReset()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SUBSCRIBE", "mode:a");
        Assert.Equal("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", (await c.SendAsync("GET", "x")).ToString());
        Assert.Equal("-ERR Can't execute 'pubsub|numsub': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", (await c.SendAsync("PUBSUB", "NUMSUB", "x")).ToString());

        // Arity and unknown commands are checked first, as in Redis's processCommand.
        Assert.Equal("-ERR wrong number of arguments for 'get' command", (await c.SendAsync("GET")).ToString());
        Assert.StartsWith("-ERR unknown command 'NOSUCH'", (await c.SendAsync("NOSUCH")).ToString(), StringComparison.Ordinal);

        // PING answers as an array in subscribed RESP2.
        Assert.Equal("*[$pong, $]", (await c.SendAsync("PING")).ToString());
        Assert.Equal("*[$pong, $hi]", (await c.SendAsync("PING", "hi")).ToString());

        // RESET leaves every subscription silently.
        await c.SendAsync("PSUBSCRIBE", "mode:*");
        await c.SendAsync("SSUBSCRIBE", "mode:s");
        Assert.Equal("+RESET", (await c.SendAsync("RESET")).ToString());
        Assert.Equal("+PONG", (await c.SendAsync("PING")).ToString());
        Assert.Equal("*[$mode:a, :0, $mode:b, :0]", (await c.SendAsync("PUBSUB", "NUMSUB", "mode:a", "mode:b")).ToString());
        Assert.Equal("*[]", (await c.SendAsync("PUBSUB", "SHARDCHANNELS", "mode:*")).ToString());
        Assert.Equal("*[]", (await c.SendAsync("PUBSUB", "CHANNELS", "mode:*")).ToString());
    }

    [Fact]
    public async Task Resp3DeliversPushesAndRunsAnyCommandWhileSubscribed()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "3");
        Assert.Equal(">[$subscribe, $r3:ch, :1]", (await c.SendAsync("SUBSCRIBE", "r3:ch")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("SET", "r3:k", "v")).ToString());
        Assert.Equal("$v", (await c.SendAsync("GET", "r3:k")).ToString());
        Assert.Equal("+PONG", (await c.SendAsync("PING")).ToString());

        // Publishing to itself: the push comes before PUBLISH's own reply, as Redis writes them.
        await c.WriteCommandAsync("PUBLISH", "r3:ch", "self");
        Assert.Equal(">[$message, $r3:ch, $self]", (await c.ReadReplyAsync()).ToString());
        Assert.Equal(":1", (await c.ReadReplyAsync()).ToString());

        await using var other = await _fixture.ConnectAsync();
        await other.SendAsync("PUBLISH", "r3:ch", "from-other");
        Assert.Equal(">[$message, $r3:ch, $from-other]", (await c.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$unsubscribe, $r3:ch, :0]", (await c.SendAsync("UNSUBSCRIBE", "r3:ch")).ToString());
        Assert.Equal(">[$unsubscribe, (null), :0]", (await c.SendAsync("UNSUBSCRIBE")).ToString());
    }

    [Fact]
    public async Task RepliesOffStillDeliversSubscriptionPushes()
    {
        await using var c = await _fixture.ConnectAsync();
        await using var publisher = await _fixture.ConnectAsync();
        await c.WriteCommandAsync("CLIENT", "REPLY", "OFF");
        await c.WriteCommandAsync("SUBSCRIBE", "off:ch");
        Assert.Equal("*[$subscribe, $off:ch, :1]", (await c.ReadReplyAsync(Deadline)).ToString());
        await publisher.SendAsync("PUBLISH", "off:ch", "m");
        Assert.Equal("*[$message, $off:ch, $m]", (await c.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task IntrospectionCountsChannelsPatternsAndShardChannels()
    {
        await using var a = await _fixture.ConnectAsync();
        await using var b = await _fixture.ConnectAsync();
        await using var admin = await _fixture.ConnectAsync();
        await a.SendAsync("SUBSCRIBE", "in:x");
        await b.SendAsync("SUBSCRIBE", "in:x");
        await a.WriteCommandAsync("SUBSCRIBE", "in:y", "other:z");
        await a.ReadReplyAsync();
        await a.ReadReplyAsync();
        await a.SendAsync("PSUBSCRIBE", "in:pattern:*");
        await b.SendAsync("PSUBSCRIBE", "in:pattern:*");
        await b.SendAsync("SSUBSCRIBE", "in:shard");

        Assert.Equal("*[$in:x, :2, $in:y, :1, $in:none, :0]", (await admin.SendAsync("PUBSUB", "NUMSUB", "in:x", "in:y", "in:none")).ToString());
        Assert.Equal("*[]", (await admin.SendAsync("PUBSUB", "NUMSUB")).ToString());
        Assert.Equal("*[$in:shard, :1]", (await admin.SendAsync("PUBSUB", "SHARDNUMSUB", "in:shard")).ToString());
        var channels = (await admin.SendAsync("PUBSUB", "CHANNELS", "in:*")).Items!.Select(i => i.Text).Order(StringComparer.Ordinal);
        Assert.Equal(["in:x", "in:y"], channels);
        Assert.Equal("*[$in:shard]", (await admin.SendAsync("PUBSUB", "SHARDCHANNELS", "in:*")).ToString());
        Assert.True((await admin.SendAsync("PUBSUB", "NUMPAT")).Integer >= 1);
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.", (await admin.SendAsync("PUBSUB", "channels", "a", "b")).ToString());

        string list = (await admin.SendAsync("CLIENT", "LIST")).Text!;
        Assert.Contains(" flags=P db=0 sub=3 psub=1 ssub=0 ", list, StringComparison.Ordinal);
        Assert.Contains(" flags=P db=0 sub=1 psub=1 ssub=1 ", list, StringComparison.Ordinal);
        Assert.Contains(" flags=N db=0 sub=0 psub=0 ssub=0 ", list, StringComparison.Ordinal);
        string stats = (await admin.SendAsync("INFO", "stats")).Text!;
        Assert.Matches(@"pubsub_channels:[1-9]", stats);
        Assert.Matches(@"pubsub_patterns:[1-9]", stats);
        Assert.Matches(@"pubsubshard_channels:[1-9]", stats);
    }

    [Fact]
    public async Task ADisconnectingClientLeavesItsChannels()
    {
        await using var admin = await _fixture.ConnectAsync();
        var c = await _fixture.ConnectAsync();
        await c.SendAsync("SUBSCRIBE", "gone:ch");
        await c.SendAsync("SSUBSCRIBE", "gone:sh");
        Assert.Equal("*[$gone:ch, :1]", (await admin.SendAsync("PUBSUB", "NUMSUB", "gone:ch")).ToString());
        await c.DisposeAsync();

        var deadline = DateTime.UtcNow + Deadline;
        while ((await admin.SendAsync("PUBSUB", "NUMSUB", "gone:ch")).ToString() != "*[$gone:ch, :0]")
        {
            Assert.True(DateTime.UtcNow < deadline, "The closed subscriber is still counted.");
            await Task.Delay(10);
        }

        Assert.Equal("*[$gone:sh, :0]", (await admin.SendAsync("PUBSUB", "SHARDNUMSUB", "gone:sh")).ToString());
        Assert.Equal(":0", (await admin.SendAsync("PUBLISH", "gone:ch", "x")).ToString());
    }

    [Fact]
    public async Task ClientOutputBufferLimitIsParsedAndPrintedAsRedisDoes()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal("*[$client-output-buffer-limit, $normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60]", (await c.SendAsync("CONFIG", "GET", "client-output-buffer-limit")).ToString());
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.", (await c.SendAsync("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb")).ToString());
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.", (await c.SendAsync("CONFIG", "SET", "client-output-buffer-limit", "master 1 1 1")).ToString());
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.", (await c.SendAsync("CONFIG", "SET", "client-output-buffer-limit", "pubsub x 1 1")).ToString());
        try
        {
            Assert.Equal("+OK", (await c.SendAsync("CONFIG", "SET", "client-output-buffer-limit", "replica 1 2 3 pubsub 1mb 512kb 10")).ToString());
            Assert.Equal("*[$client-output-buffer-limit, $normal 0 0 0 slave 1 2 3 pubsub 1048576 524288 10]", (await c.SendAsync("CONFIG", "GET", "client-output-buffer-limit")).ToString());
        }
        finally
        {
            await c.SendAsync("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        }
    }

    /// <summary>
    /// A subscriber that never reads is closed once its queued output passes the hard limit, while a
    /// subscriber that reads keeps getting every message, and the queued bytes never pass the limit.
    /// </summary>
    [Fact]
    public async Task ASubscriberThatStopsReadingIsClosedAtTheHardLimitWhileOthersGetEveryMessage()
    {
        const long Hard = 256 * 1024;
        await using var server = await KvServerFixture.StartAsync(["--client-output-buffer-limit", "pubsub 256kb 0 0"]);
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        await using var reader = await RespTestClient.ConnectAsync(server.Port);
        using var stalled = new TcpClient { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync("127.0.0.1", server.Port);
        await stalled.GetStream().WriteAsync(RespTestClient.Encode("SUBSCRIBE", "slow:ch"));
        long readerId = (await reader.SendAsync("CLIENT", "ID")).Integer;
        await reader.SendAsync("SUBSCRIBE", "slow:ch");
        long stalledId = await WaitForSubscriberAsync(admin, notId: readerId);

        var payload = new string('x', 8192);
        int published = 0;
        var received = Task.Run(async () =>
        {
            int count = 0;
            while (true)
            {
                var frame = await reader.ReadReplyAsync(Deadline);
                if (frame.Items![2].Text == "end")
                {
                    return count;
                }

                Assert.Equal(payload, frame.Items[2].Text);
                count++;
            }
        });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var batch = new List<byte>();
            for (int i = 0; i < 64; i++)
            {
                batch.AddRange(RespTestClient.Encode("PUBLISH", "slow:ch", payload));
            }

            await admin.WriteRawAsync(batch.ToArray());
            for (int i = 0; i < 64; i++)
            {
                await admin.ReadReplyAsync(Deadline);
            }

            published += 64;
            string list = (await admin.SendAsync("CLIENT", "LIST", "ID", stalledId)).Text!;
            if (list.Length == 0)
            {
                break;
            }

            long omem = long.Parse(System.Text.RegularExpressions.Regex.Match(list, @"omem=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(omem < Hard + payload.Length + 64, $"omem={omem} passed the hard limit.");
            Assert.True(DateTime.UtcNow < deadline, $"The stalled subscriber was not closed after {published} messages of {payload.Length} bytes.");
        }

        Assert.Equal(":1", (await admin.SendAsync("PUBLISH", "slow:ch", "end")).ToString());
        Assert.Equal(published, await received);
    }

    /// <summary>Past the soft limit for longer than the soft seconds (on the server's clock), the next message closes the client.</summary>
    [Fact]
    public async Task ASubscriberOverTheSoftLimitForLongerThanItsSecondsIsClosed()
    {
        var clock = new ManualClock();
        await using var server = await KvServerFixture.StartAsync(["--client-output-buffer-limit", "pubsub 0 64kb 10"], clock);
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        using var stalled = new TcpClient { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync("127.0.0.1", server.Port);
        await stalled.GetStream().WriteAsync(RespTestClient.Encode("SUBSCRIBE", "soft:ch"));
        long stalledId = await WaitForSubscriberAsync(admin, notId: -1);

        // Fill until the queued output passes the soft limit: the client stays (the clock has not moved).
        var payload = new string('y', 4096);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        long omem = 0;
        while (omem < 128 * 1024)
        {
            Assert.True(DateTime.UtcNow < deadline, "The stalled subscriber's output never grew.");
            for (int i = 0; i < 32; i++)
            {
                await admin.SendAsync("PUBLISH", "soft:ch", payload);
            }

            string list = (await admin.SendAsync("CLIENT", "LIST", "ID", stalledId)).Text!;
            Assert.NotEqual("", list);
            omem = long.Parse(System.Text.RegularExpressions.Regex.Match(list, @"omem=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        clock.Advance(TimeSpan.FromSeconds(11));
        await admin.SendAsync("PUBLISH", "soft:ch", payload);
        var closeDeadline = DateTime.UtcNow + Deadline;
        while ((await admin.SendAsync("CLIENT", "LIST", "ID", stalledId)).Text!.Length > 0)
        {
            Assert.True(DateTime.UtcNow < closeDeadline, "The subscriber over the soft limit was not closed.");
            await Task.Delay(10);
        }
    }

    // Waits until a client other than notId shows sub=1 in CLIENT LIST; returns its id.
    private static async Task<long> WaitForSubscriberAsync(RespTestClient admin, long notId)
    {
        long self = (await admin.SendAsync("CLIENT", "ID")).Integer;
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            foreach (var line in (await admin.SendAsync("CLIENT", "LIST")).Text!.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                long id = long.Parse(line[3..line.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
                if (id != self && id != notId && line.Contains(" sub=1 ", StringComparison.Ordinal))
                {
                    return id;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "The subscriber did not appear in CLIENT LIST.");
            await Task.Delay(10);
        }
    }
}
