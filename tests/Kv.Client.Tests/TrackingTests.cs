using System.Threading.Channels;
using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>
/// Client-side caching (KvClientOptions.Tracking, KvClient.Invalidated) against both servers, in
/// RESP3 (pushes on the main connection) and RESP2 (redirected to the subscriber connection).
/// </summary>
public sealed class TrackingTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task ReadKeyIsInvalidatedWhenAnotherClientWritesIt(string server, int protocol)
    {
        await using var reader = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, protocol);
        var invalidations = new Recorder(reader);
        string key = Key("read");
        await writer.SetAsync(key, "1");
        Assert.Equal("1", (await reader.GetAsync(key)).ToString());

        await writer.SetAsync(key, "2");
        var invalidation = await invalidations.NextAsync();
        Assert.Equal(KvInvalidationReason.KeysChanged, invalidation.Reason);
        Assert.False(invalidation.All);
        Assert.Equal([key], Names(invalidation));
        Assert.Equal<KvKey>(key, invalidation.Keys[0]);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task Resp3InvalidationsArriveBeforeLaterReplies(string server)
    {
        await using var reader = await ConnectTrackingAsync(server, 3, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server);
        var invalidations = new Recorder(reader);
        string key = Key("order");
        await reader.GetAsync(key);
        await writer.SetAsync(key, "changed");

        // Outside broadcast mode the push is queued to the reader's connection while SET runs, so it
        // comes before the reply of any later command.
        await reader.PingAsync();
        Assert.True(invalidations.TryTake(out var invalidation), "The invalidation had not been raised when the next reply arrived.");
        Assert.Equal([key], Names(invalidation));
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task BroadcastNotifiesOfPrefixedKeysWithoutReadingThem(string server, int protocol)
    {
        string prefix = $"bcast:{Guid.NewGuid():N}:";
        await using var reader = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions { Broadcast = true, Prefixes = [prefix] });
        await using var writer = await servers.ConnectAsync(server, protocol);
        var invalidations = new Recorder(reader);

        // The unprefixed key is written first: had it been reported, it would come first.
        await writer.SetAsync(Key("elsewhere"), "x");
        await writer.SetAsync(prefix + "a", "1");
        var invalidation = await invalidations.NextAsync();
        Assert.Equal(KvInvalidationReason.KeysChanged, invalidation.Reason);
        Assert.Equal([prefix + "a"], Names(invalidation));
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task NoLoopLeavesOutTheClientsOwnWrites(string server, int protocol)
    {
        await using var noLoop = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions { NoLoop = true });
        await using var looping = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, protocol);
        var quiet = new Recorder(noLoop);
        var told = new Recorder(looping);
        string own = Key("own");
        string other = Key("other");
        foreach (var client in new[] { noLoop, looping })
        {
            await client.GetAsync(own);
            await client.GetAsync(other);
            await client.SetAsync(own, "mine");
        }

        await writer.SetAsync(other, "theirs");

        // Without NOLOOP the client hears of its own write first; with it, only of the other client's.
        Assert.Equal([own], Names(await told.NextAsync()));
        Assert.Equal([other], Names(await quiet.NextAsync()));
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task FlushAllInvalidatesEverything(string server, int protocol)
    {
        await using var reader = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, protocol);
        var invalidations = new Recorder(reader);
        await reader.GetAsync(Key("flushed"));

        await writer.ExecuteAsync("FLUSHALL");
        var invalidation = await invalidations.NextAsync();
        Assert.Equal(KvInvalidationReason.Flushed, invalidation.Reason);
        Assert.True(invalidation.All);
        Assert.Empty(invalidation.Keys);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task LostConnectionInvalidatesEverythingAndTrackingResumes(string server, int protocol)
    {
        await using var reader = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, protocol);
        var invalidations = new Recorder(reader);
        string key = Key("resume");
        await reader.GetAsync(key);

        reader.AbortConnection();
        var lost = await invalidations.NextAsync();
        Assert.Equal(KvInvalidationReason.ConnectionLost, lost.Reason);
        Assert.True(lost.All);

        // The new connection tracks again: a key read on it is reported when it changes.
        await reader.GetAsync(key);
        await writer.SetAsync(key, "after");
        var invalidation = await invalidations.NextAsync();
        Assert.Equal([key], Names(invalidation));
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task Resp2RedirectSurvivesTheSubscriberConnectionBeingKilled(string server)
    {
        await using var reader = await ConnectTrackingAsync(server, 2, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, 2);
        var invalidations = new Recorder(reader);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.ConnectionRestored += (_, _) => restored.TrySetResult();
        string key = Key("redir");
        await reader.GetAsync(key);
        long redirect = (await reader.ExecuteAsync("CLIENT", "GETREDIR")).AsInt64();
        Assert.True(redirect > 0, $"CLIENT GETREDIR answered {redirect}: tracking does not redirect.");

        Assert.Equal(1, (await writer.ExecuteAsync("CLIENT", "KILL", "ID", redirect)).AsInt64());
        var lost = await invalidations.NextAsync();
        Assert.Equal(KvInvalidationReason.ConnectionLost, lost.Reason);

        // The main connection was closed and redirects to the new subscriber connection.
        await restored.Task.WaitAsync(Deadline);
        long newRedirect = (await reader.ExecuteAsync("CLIENT", "GETREDIR")).AsInt64();
        Assert.True(newRedirect > 0 && newRedirect != redirect, $"CLIENT GETREDIR answered {newRedirect} after {redirect} was killed.");
        await reader.GetAsync(key);
        await writer.SetAsync(key, "after");
        var invalidation = await invalidations.NextAsync(skipAll: true);
        Assert.Equal([key], Names(invalidation));
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task Resp2InvalidationsShareTheSubscriberConnectionWithSubscriptions(string server)
    {
        await using var reader = await ConnectTrackingAsync(server, 2, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server, 2);
        var invalidations = new Recorder(reader);
        var messages = Channel.CreateUnbounded<KvMessage>();
        string channel = Key("chan");
        await using var subscription = await reader.SubscribeAsync(channel, m => messages.Writer.TryWrite(m));
        string key = Key("shared");
        await reader.GetAsync(key);

        await writer.SetAsync(key, "1");
        await writer.PublishAsync(channel, "hello");
        Assert.Equal([key], Names(await invalidations.NextAsync()));
        var message = await messages.Reader.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(channel, message.Channel);
        Assert.Equal("hello", message.Message.ToString());
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task TrackingIsOnOnlyWhenAskedFor(string server, int protocol)
    {
        await using var plain = await servers.ConnectAsync(server, protocol);
        var (flags, redirect) = await TrackingInfoAsync(plain);
        Assert.Equal(["off"], flags);
        Assert.Equal(-1, redirect);
        Assert.DoesNotContain('t', ClientFlags(await plain.ExecuteAsync("CLIENT", "INFO")));
        Assert.Throws<InvalidOperationException>(() => plain.Invalidated += _ => { });

        await using var tracking = await ConnectTrackingAsync(server, protocol, new KvTrackingOptions { Broadcast = true, NoLoop = true });
        (flags, redirect) = await TrackingInfoAsync(tracking);
        Assert.Contains("on", flags);
        Assert.Contains("bcast", flags);
        Assert.Contains("noloop", flags);
        Assert.Contains('t', ClientFlags(await tracking.ExecuteAsync("CLIENT", "INFO")));

        // RESP3 takes the pushes itself; RESP2 redirects them to the subscriber connection.
        if (protocol == 3)
        {
            Assert.Equal(0, redirect);
        }
        else
        {
            Assert.True(redirect > 0);
        }
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task FailingHandlerIsReportedAndTheOthersStillRun(string server)
    {
        await using var reader = await ConnectTrackingAsync(server, 3, new KvTrackingOptions());
        await using var writer = await servers.ConnectAsync(server);
        var failed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.MessageHandlerFailed += (_, e) => failed.TrySetResult(e.Exception);
        reader.Invalidated += _ => throw new InvalidOperationException("handler bug");
        var invalidations = new Recorder(reader);
        string key = Key("failing");
        await reader.GetAsync(key);

        await writer.SetAsync(key, "x");
        Assert.Equal([key], Names(await invalidations.NextAsync()));
        Assert.Equal("handler bug", (await failed.Task.WaitAsync(Deadline))?.Message);

        // The reader survived the exception.
        Assert.Equal("x", (await reader.GetAsync(key)).ToString());
    }

    [Fact]
    public void TrackingOptionsAreValidatedAndCopied()
    {
        var options = new KvClientOptions { Tracking = new KvTrackingOptions { Prefixes = ["a:"] } };
        var error = Assert.Throws<ArgumentException>(() => new KvClient(options));
        Assert.Contains("Broadcast", error.Message, StringComparison.Ordinal);

        options.Tracking = new KvTrackingOptions { Broadcast = true, Prefixes = ["user:", "user:1"] };
        error = Assert.Throws<ArgumentException>(() => new KvClient(options));
        Assert.Contains("overlap", error.Message, StringComparison.Ordinal);

        options.Tracking = new KvTrackingOptions { Broadcast = true, Prefixes = ["user:", "order:"] };
        var copy = options.Clone();
        options.Tracking.Prefixes.Add("late:");
        Assert.NotSame(options.Tracking, copy.Tracking);
        Assert.Equal(["user:", "order:"], copy.Tracking!.Prefixes);
    }

    private async Task<KvClient> ConnectTrackingAsync(string server, int protocol, KvTrackingOptions tracking)
    {
        var options = servers.Options(server, protocol);
        options.Tracking = tracking;
        var client = await KvClient.ConnectAsync(options);
        Assert.Equal(protocol, client.Protocol);
        return client;
    }

    private static string[] Names(KvInvalidation invalidation) => [.. invalidation.Keys.Select(k => k.ToString())];

    private static string ClientFlags(KvResult clientInfo)
        => clientInfo.AsString()!.Split(' ').Single(p => p.StartsWith("flags=", StringComparison.Ordinal))["flags=".Length..];

    /// <summary>CLIENT TRACKINGINFO: a map in RESP3, the same pairs as an array in RESP2.</summary>
    private static async Task<(string[] Flags, long Redirect)> TrackingInfoAsync(KvClient client)
    {
        var info = await client.ExecuteAsync("CLIENT", "TRACKINGINFO");
        string[]? flags = null;
        long? redirect = null;
        for (int i = 0; i + 1 < info.Count; i += 2)
        {
            switch (info[i].AsString())
            {
                case "flags":
                    flags = [.. info[i + 1].Items.ToArray().Select(f => f.AsString()!)];
                    break;
                case "redirect":
                    redirect = info[i + 1].AsInt64();
                    break;
            }
        }

        return (flags ?? throw new Xunit.Sdk.XunitException($"No flags in {info}"), redirect ?? throw new Xunit.Sdk.XunitException($"No redirect in {info}"));
    }

    /// <summary>Collects a client's invalidations as its handler receives them.</summary>
    private sealed class Recorder
    {
        private readonly Channel<KvInvalidation> _received = Channel.CreateUnbounded<KvInvalidation>();

        public Recorder(KvClient client) => client.Invalidated += invalidation => _received.Writer.TryWrite(invalidation);

        public bool TryTake(out KvInvalidation invalidation) => _received.Reader.TryRead(out invalidation);

        /// <summary>The next invalidation (with <paramref name="skipAll"/>, the next one naming keys), within the deadline.</summary>
        public async Task<KvInvalidation> NextAsync(bool skipAll = false)
        {
            using var deadline = new CancellationTokenSource(Deadline);
            while (true)
            {
                KvInvalidation invalidation;
                try
                {
                    invalidation = await _received.Reader.ReadAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"No invalidation arrived within {Deadline.TotalSeconds} s.");
                }

                if (!skipAll || !invalidation.All)
                {
                    return invalidation;
                }
            }
        }
    }
}
