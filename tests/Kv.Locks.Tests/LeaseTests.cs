using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Kv.Locks.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static Kv.Locks.Tests.Infrastructure.LockTestKit;

namespace Kv.Locks.Tests;

/// <summary>Leases that run out, servers that restart, the maximum hold time: LostToken fires and fencing tokens keep rising.</summary>
public sealed class LeaseTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task ALeaseLetExpireFiresLostTokenAndTheNextHolderFencesItOut(string server)
    {
        await using var kit = new LockTestKit();
        // The holder's clock stands still, so its renewals are paused while the server's lease runs out.
        var clock = new FakeTimeProvider();
        var options = new KvLockOptions { Lease = TimeSpan.FromMilliseconds(300), RenewalInterval = TimeSpan.FromMilliseconds(100) };
        var stalled = await kit.ProviderAsync(servers.Port(server), options, clock);
        var next = await kit.ProviderAsync(servers.Port(server), options);
        string name = Name("expire");

        var first = await stalled.AcquireAsync(name, TimeSpan.Zero);
        await using var second = await next.AcquireAsync(name, Deadline);
        Assert.True(second.FencingToken > first.FencingToken, $"The next holder's token {second.FencingToken} must be above the stalled one's {first.FencingToken}.");
        Assert.False(first.LostToken.IsCancellationRequested);

        // The stalled holder's clock moves on: its renewal finds another holder.
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = first.LostToken.Register(() => lost.TrySetResult());
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await lost.Task.WaitAsync(Deadline);
        Assert.False(await first.ExtendAsync());

        // Its release does not remove the next holder's lease.
        Assert.False(await first.ReleaseAsync());
        Assert.True(await second.ExtendAsync());
        Assert.Null(await next.TryAcquireAsync(name));
        Assert.False(second.LostToken.IsCancellationRequested);
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task LostTokenFiresByTheLocalClockWhenRenewalsCannotReachTheServer(string server)
    {
        await using var restartable = await RestartableServer.StartAsync(server);
        await using var kit = new LockTestKit();
        var clock = new FakeTimeProvider();
        var options = new KvLockOptions { Lease = TimeSpan.FromSeconds(3), RenewalInterval = TimeSpan.FromSeconds(1) };
        var provider = await kit.ProviderAsync(restartable.Port, options, clock);
        var handle = await provider.AcquireAsync(Name("unreachable"), TimeSpan.Zero);
        await restartable.StopAsync();

        // Renewals fail (no server); the lease is not reported lost while it could still be valid...
        clock.Advance(TimeSpan.FromSeconds(2.5));
        Assert.False(handle.LostToken.IsCancellationRequested);

        // ...and is once it could have run out, measured from the acquisition's send time.
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(handle.LostToken.IsCancellationRequested);
        Assert.False(await handle.ExtendAsync());
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task AServerRestartWhileHeldFiresLostTokenAndFencingTokensKeepRising(string server)
    {
        await using var restartable = await RestartableServer.StartAsync(server);
        await using var kit = new LockTestKit();
        var options = new KvLockOptions { Lease = TimeSpan.FromSeconds(2), RenewalInterval = TimeSpan.FromMilliseconds(200) };
        var provider = await kit.ProviderAsync(restartable.Port, options);
        string name = Name("restart");
        var handle = await provider.AcquireAsync(name, TimeSpan.Zero);

        // Restarted without persistence: the lease and the fencing counter are gone.
        await restartable.StopAsync();
        await restartable.StartAsync();
        await handle.LostToken.WaitHandle.WaitOneAsync(Deadline);

        IDistributedLockHandle? next = null;
        await WaitUntilAsync(async () =>
        {
            try
            {
                next = await provider.TryAcquireAsync(name);
                return next is not null;
            }
            catch (KvConnectionException)
            {
                return false; // Still reconnecting.
            }
        }, "the lock can be taken after the restart");
        Assert.True(next!.FencingToken > handle.FencingToken, $"After the restart the token {next.FencingToken} must still be above {handle.FencingToken} (the counter restarts from the server clock).");
        Assert.False(await handle.ReleaseAsync());
        Assert.True(await next.ReleaseAsync());
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task MaxHoldTimeEndsTheHoldAndLetsTheNextHolderIn(string server)
    {
        await using var kit = new LockTestKit();
        var options = new KvLockOptions { Lease = TimeSpan.FromMilliseconds(300), RenewalInterval = TimeSpan.FromMilliseconds(100), MaxHoldTime = TimeSpan.FromMilliseconds(700) };
        var provider = await kit.ProviderAsync(servers.Port(server), options);
        string name = Name("maxhold");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var handle = await provider.AcquireAsync(name, TimeSpan.Zero);

        // Renewed past the first lease, stopped at the maximum hold time.
        await using var next = await (await kit.ProviderAsync(servers.Port(server))).AcquireAsync(name, Deadline);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(5));
        Assert.True(handle.LostToken.IsCancellationRequested || await handle.LostToken.WaitHandle.WaitOneAsync(Deadline));
        Assert.True(next.FencingToken > handle.FencingToken);
    }
}

internal static class WaitHandleExtensions
{
    /// <summary>Awaits a cancellation token's wait handle with a deadline; fails the test when it passes.</summary>
    public static async Task<bool> WaitOneAsync(this WaitHandle handle, TimeSpan deadline)
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = ThreadPool.RegisterWaitForSingleObject(handle, (_, _) => signalled.TrySetResult(), null, deadline, executeOnlyOnce: true);
        try
        {
            await signalled.Task.WaitAsync(deadline);
            return true;
        }
        finally
        {
            registration.Unregister(null);
        }
    }
}
