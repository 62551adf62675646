using System.Diagnostics;
using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>Blocking pops run on connections of their own and never stall the shared one.</summary>
public sealed class BlockingTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task BlockingPopsDoNotStallOtherCommands(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string list = Key("q"), other = Key("q2");
        var left = client.BLPopAsync([list, other], TimeSpan.Zero).AsTask();
        var right = client.BRPopAsync([other], TimeSpan.Zero).AsTask();

        // The shared connection keeps answering while two pops wait.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("PONG", (await client.ExecuteAsync("PING")).AsString());
        }

        Assert.False(left.IsCompleted);
        await client.RPushAsync(list, "a", "b");
        var popped = await left.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(list, popped!.Key);
        Assert.Equal(["a"], popped.Values.Select(v => v.ToString()).ToArray());
        await client.RPushAsync(other, "x", "y");
        Assert.Equal("y", (await right.WaitAsync(TimeSpan.FromSeconds(10)))!.Values[0].ToString());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task BlockingPopTimesOutWithNull(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        var watch = Stopwatch.StartNew();
        Assert.Null(await client.BLPopAsync([Key("empty")], TimeSpan.FromMilliseconds(100)));
        Assert.InRange(watch.ElapsedMilliseconds, 90, 5000);
        Assert.True((await client.BLMoveAsync(Key("e"), Key("d"), true, false, TimeSpan.FromMilliseconds(50))).IsNull);
        Assert.Null(await client.BZPopAsync([Key("z")], TimeSpan.FromMilliseconds(50)));
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task BlockingMoveAndSortedSetPop(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string source = Key("s"), destination = Key("d"), zset = Key("z");
        var move = client.BLMoveAsync(source, destination, fromLeft: true, toLeft: true, TimeSpan.FromSeconds(10)).AsTask();
        var zpop = client.BZPopAsync([zset], TimeSpan.FromSeconds(10), max: true).AsTask();
        await client.RPushAsync(source, "v");
        await client.ZAddAsync(zset, new KvSortedSetEntry("low", 1), new KvSortedSetEntry("high", 2));
        Assert.Equal("v", (await move.WaitAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.Equal(["v"], (await client.LRangeAsync(destination)).Select(v => v.ToString()).ToArray());
        var popped = await zpop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new KvSortedSetEntry("high", 2), popped!.Entries.Single());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task CancelledBlockingPopReleasesItsConnection(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string list = Key("c");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.BLPopAsync([list], TimeSpan.Zero, cts.Token));

        // The cancelled pop's connection was closed, so it cannot steal this value.
        await client.RPushAsync(list, "kept");
        var popped = await client.BLPopAsync([list], TimeSpan.FromSeconds(5));
        Assert.Equal("kept", popped!.Values[0].ToString());
    }
}
