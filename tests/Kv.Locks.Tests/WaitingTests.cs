using System.Diagnostics;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Kv.Locks.Tests.Infrastructure;
using static Kv.Locks.Tests.Infrastructure.LockTestKit;

namespace Kv.Locks.Tests;

/// <summary>Timeouts, cancellation and an unreachable server: each outcome told apart, and an abandoned wait leaves nothing behind.</summary>
public sealed class WaitingTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task TimeoutsAndCancellationAreHonouredAndLeaveNoWaiterBehind(string server)
    {
        await using var kit = new LockTestKit();
        var client = await kit.ClientAsync(servers.Port(server));
        var holderSide = kit.Provider(client);
        var waiterSide = await kit.ProviderAsync(servers.Port(server));
        string name = Name("timeouts");
        var holder = await holderSide.AcquireAsync(name, TimeSpan.Zero);

        Assert.Null(await waiterSide.TryAcquireAsync(name));

        var watch = Stopwatch.StartNew();
        var timedOut = await Assert.ThrowsAsync<KvLockTimeoutException>(async () => await waiterSide.AcquireAsync(name, TimeSpan.FromMilliseconds(300)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(3));
        Assert.Contains(name, timedOut.Message);

        watch.Restart();
        Assert.Null(await waiterSide.TryAcquireAsync(name, TimeSpan.FromMilliseconds(200)));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(190), TimeSpan.FromSeconds(3));

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        watch.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiterSide.AcquireAsync(name, Deadline, cts.Token));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(190), TimeSpan.FromSeconds(3));

        // The abandoned waits left the queue (sent on the waiter's connection before each call returned),
        // so once the holder releases, a newcomer gets the lock at once.
        await WaitUntilAsync(async () => await client.ExistsAsync($"kvlock:{{{name}}}:queue") == 0, "the abandoned waiters leave the queue");
        Assert.True(await holder.ReleaseAsync());
        await using var next = await waiterSide.TryAcquireAsync(name);
        Assert.NotNull(next);
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task AnAcquisitionCancelledInFlightDoesNotLeaveALeaseBehind(string server)
    {
        await using var kit = new LockTestKit();
        var provider = await kit.ProviderAsync(servers.Port(server));
        string name = Name("inflight");
        for (int i = 0; i < 20; i++)
        {
            // Cancelled after the script may have been sent: if it won the lock, the lease is released.
            using var cts = new CancellationTokenSource();
            var attempt = provider.TryAcquireAsync(name, cts.Token).AsTask();
            await cts.CancelAsync();
            try
            {
                var handle = await attempt;
                if (handle is not null)
                {
                    await handle.DisposeAsync();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        await using var probe = await kit.ProviderAsync(servers.Port(server));
        await WaitUntilAsync(async () =>
        {
            await using var handle = await probe.TryAcquireAsync(name);
            return handle is not null;
        }, "no cancelled attempt holds the lock");
    }

    [Fact]
    public async Task AnUnreachableServerIsAConnectionErrorNeverHeldByOthers()
    {
        var options = LockTestKit.Options(RedisProcess.FreePort());
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = new KvClient(options);
        await using var provider = new KvDistributedLockProvider(client);

        await Assert.ThrowsAsync<KvConnectionException>(async () => await provider.TryAcquireAsync("down"));
        await Assert.ThrowsAsync<KvConnectionException>(async () => await provider.AcquireAsync("down", TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<KvConnectionException>(async () => await provider.TryAcquireSemaphoreAsync("down", 2));
    }

    [Fact]
    public async Task ArgumentsAreChecked()
    {
        await using var kit = new LockTestKit();
        var provider = await kit.ProviderAsync(servers.Kv.Port);
        await Assert.ThrowsAsync<ArgumentException>(async () => await provider.TryAcquireAsync(""));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await provider.TryAcquireSemaphoreAsync("s", 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await provider.AcquireAsync("l", TimeSpan.FromSeconds(-2)));
        var client = await kit.ClientAsync(servers.Kv.Port);
        Assert.Throws<ArgumentException>(() => new KvDistributedLockProvider(client, new KvLockOptions { Lease = TimeSpan.FromSeconds(1), RenewalInterval = TimeSpan.FromSeconds(1) }));
    }
}
