using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>GetLeaseAsync/HGetLeaseAsync: values read into pooled buffers, against kv-server and redis-server.</summary>
public sealed class LeaseTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task GetLeaseReadsSmallLargeAndMissingValues(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        Assert.Null(await client.GetLeaseAsync(Key("missing")));

        string small = Key("small");
        await client.SetAsync(small, "hello");
        using (var lease = await client.GetLeaseAsync(small))
        {
            Assert.NotNull(lease);
            Assert.Equal(5, lease.Length);
            Assert.Equal("hello", lease.ToString());
            Assert.True(lease.Span.SequenceEqual("hello"u8));
        }

        string empty = Key("empty");
        await client.SetAsync(empty, "");
        using (var lease = await client.GetLeaseAsync(empty))
        {
            Assert.NotNull(lease);
            Assert.Equal(0, lease.Length);
            Assert.True(lease.Memory.IsEmpty);
        }

        string big = Key("big");
        var value = new byte[(10 * 1024 * 1024) + 3];
        new Random(11).NextBytes(value);
        await client.SetAsync(big, value);
        var large = await client.GetLeaseAsync(big);
        Assert.NotNull(large);
        Assert.Equal(value.Length, large.Length);
        Assert.Equal(value.Length, large.Memory.Length);
        Assert.True(value.AsSpan().SequenceEqual(large.Span));

        // The connection is still in step after a 10 MB reply.
        Assert.Equal(value.Length, await client.StrLenAsync(big));
        large.Dispose();
        Assert.True(large.IsDisposed);
        large.Dispose();
        Assert.Throws<ObjectDisposedException>(() => large.Memory);
        Assert.Throws<ObjectDisposedException>(() => large.Span.Length);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task HGetLeaseReadsFieldsAndMissingOnes(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string key = Key("h");
        var value = new byte[200_000];
        new Random(5).NextBytes(value);
        await client.HSetAsync(key, "f", value);
        using (var lease = await client.HGetLeaseAsync(key, "f"))
        {
            Assert.NotNull(lease);
            Assert.True(value.AsSpan().SequenceEqual(lease.Span));
        }

        Assert.Null(await client.HGetLeaseAsync(key, "nope"));
        Assert.Null(await client.HGetLeaseAsync(Key("missing"), "f"));

        string text = Key("s");
        await client.SetAsync(text, "v");
        var error = await Assert.ThrowsAsync<KvServerException>(async () => await client.HGetLeaseAsync(text, "f"));
        Assert.Equal("WRONGTYPE", error.Prefix);
        var wrong = await Assert.ThrowsAsync<KvServerException>(async () => await client.GetLeaseAsync(key));
        Assert.Equal("WRONGTYPE", wrong.Prefix);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task LeasesAndPlainRepliesInterleaveOnOneConnection(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string prefix = Key("mix");
        for (int i = 0; i < 50; i++)
        {
            await client.SetAsync($"{prefix}:{i}", new string((char)('a' + (i % 26)), 1000 + (i * 997)));
        }

        // Pipelined together: each reply must reach its own caller, leased or not.
        var tasks = Enumerable.Range(0, 400).Select(async n =>
        {
            int i = n % 50;
            string expected = new((char)('a' + (i % 26)), 1000 + (i * 997));
            if (n % 3 == 0)
            {
                Assert.Equal(expected, (await client.GetAsync($"{prefix}:{i}")).ToString());
            }
            else if (n % 3 == 1)
            {
                using var lease = await client.GetLeaseAsync($"{prefix}:{i}");
                Assert.Equal(expected, lease!.ToString());
            }
            else
            {
                Assert.Null(await client.GetLeaseAsync($"{prefix}:missing:{i}"));
            }
        });
        await Task.WhenAll(tasks);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task LargeRepliesArriveWholeAlongsideLeases(string server, int protocol)
    {
        // Large bulk replies are read into their own array as they arrive (leased or not); large
        // values inside arrays take the general path. All must stay in step with each other.
        await using var client = await servers.ConnectAsync(server, protocol);
        string a = Key("la"), b = Key("lb");
        var first = new byte[1_000_003];
        var second = new byte[300_001];
        new Random(1).NextBytes(first);
        new Random(2).NextBytes(second);
        await client.SetAsync(a, first);
        await client.SetAsync(b, second);
        var get = client.GetAsync(a);
        var lease = client.GetLeaseAsync(b);
        var mget = client.MGetAsync(a, Key("none"), b);
        var range = client.GetRangeAsync(a, 10, 100_009);
        var small = client.StrLenAsync(b);
        var got = await get;
        Assert.True(first.AsSpan().SequenceEqual(got.Memory.Span));
        using (var leased = await lease)
        {
            Assert.True(second.AsSpan().SequenceEqual(leased!.Span));
        }

        var values = await mget;
        Assert.True(first.AsSpan().SequenceEqual(values[0].Memory.Span));
        Assert.True(values[1].IsNull);
        Assert.True(second.AsSpan().SequenceEqual(values[2].Memory.Span));
        var part = await range;
        Assert.True(first.AsSpan(10, 100_000).SequenceEqual(part.Memory.Span));
        Assert.Equal(second.Length, await small);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task CancelledLeasesLeaveTheConnectionInStep(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("cancel");
        var value = new byte[4 * 1024 * 1024];
        new Random(9).NextBytes(value);
        await client.SetAsync(key, value);
        for (int i = 0; i < 5; i++)
        {
            // Cancelled before it is written or while its reply streams in: either way the reply
            // (if any) is read to its end and the next command gets its own reply.
            using var cts = new CancellationTokenSource();
            var cancelled = client.GetLeaseAsync(key, cts.Token);
            var next = client.GetLeaseAsync(key);
            cts.Cancel();
            try
            {
                // A busy machine may deliver the whole reply before Cancel runs: then it is complete.
                using var early = await cancelled;
                Assert.True(value.AsSpan().SequenceEqual(early!.Span));
            }
            catch (OperationCanceledException)
            {
            }

            using var lease = await next;
            Assert.True(value.AsSpan().SequenceEqual(lease!.Span));
            Assert.Equal(value.Length, await client.StrLenAsync(key));
        }
    }

    [Fact]
    public async Task LeasedRepliesSplitAcrossReadsAndBadFramingGiveClearErrors()
    {
        await using var fake = new FakeServer(async (stream, ct) =>
        {
            await FakeServer.AnswerHandshakeAsync(stream, ct);

            // The header and the body arrive in pieces.
            await FakeServer.ReadRequestAsync(stream, ct);
            await stream.WriteAsync("$1"u8.ToArray(), ct);
            await stream.FlushAsync(ct);
            await Task.Delay(50, ct);
            await stream.WriteAsync("2\r\nhello"u8.ToArray(), ct);
            await Task.Delay(50, ct);
            await stream.WriteAsync(" world!\r\n"u8.ToArray(), ct);

            // A body longer than its length says.
            await FakeServer.ReadRequestAsync(stream, ct);
            await stream.WriteAsync("$2\r\nabc\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var options = new KvClientOptions { Host = "127.0.0.1", Port = fake.Port, ReconnectMinDelay = TimeSpan.FromSeconds(5) };
        await using var client = await KvClient.ConnectAsync(options);
        using (var lease = await client.GetLeaseAsync("k").AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("hello world!", lease!.ToString());
        }

        var error = await Assert.ThrowsAsync<KvConnectionException>(async () => await client.GetLeaseAsync("k").AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("Protocol error", error.Message);
        Assert.Contains("CRLF", error.Message);
    }
}
