using Kv.Client.Tests.Infrastructure;
using Kv.Locks.Tests.Infrastructure;
using static Kv.Locks.Tests.Infrastructure.LockTestKit;

namespace Kv.Locks.Tests;

/// <summary>Many holders over several connections: one at a time (a semaphore: up to its count), fencing tokens rising in grant order.</summary>
public sealed class MutualExclusionTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task TwentyTasksTimesFiftyAcquisitionsNeverOverlap(string server)
    {
        await using var kit = new LockTestKit();
        var providers = new KvDistributedLockProvider[4];
        for (int i = 0; i < providers.Length; i++)
        {
            providers[i] = await kit.ProviderAsync(servers.Port(server));
        }

        string name = Name("contended");
        int counter = 0, inside = 0, overlaps = 0;
        var log = new List<long>();
        var tasks = Enumerable.Range(0, 20).Select(t => Task.Run(async () =>
        {
            var provider = providers[t % providers.Length];
            for (int i = 0; i < 50; i++)
            {
                await using var handle = await provider.AcquireAsync(name, Deadline);
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                lock (log)
                {
                    log.Add(handle.FencingToken);
                }

                // A read-modify-write that loses updates unless the holders exclude each other.
                int seen = Volatile.Read(ref counter);
                await Task.Yield();
                Volatile.Write(ref counter, seen + 1);
                Interlocked.Decrement(ref inside);
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1000, counter);
        Assert.Equal(0, overlaps);
        Assert.Equal(1000, log.Count);
        for (int i = 1; i < log.Count; i++)
        {
            Assert.True(log[i] > log[i - 1], $"Fencing token {log[i]} (grant {i}) is not above {log[i - 1]}: two holders overlapped or a token was reused.");
        }
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task SemaphoreAdmitsUpToItsCount(string server)
    {
        await using var kit = new LockTestKit();
        var first = await kit.ProviderAsync(servers.Port(server));
        var second = await kit.ProviderAsync(servers.Port(server));
        string name = Name("sem");

        var held = new List<IDistributedLockHandle>();
        for (int i = 0; i < 3; i++)
        {
            held.Add(await first.TryAcquireSemaphoreAsync(name, 3) ?? throw new Xunit.Sdk.XunitException($"slot {i} was refused"));
        }

        Assert.Null(await second.TryAcquireSemaphoreAsync(name, 3));
        var waiting = second.AcquireSemaphoreAsync(name, 3, Deadline).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.True(await held[1].ReleaseAsync());
        await using var fourth = await waiting.WaitAsync(Deadline);
        Assert.True(fourth.FencingToken > held[2].FencingToken);
        foreach (var handle in held)
        {
            await handle.DisposeAsync();
        }

        // Contention: never more than three inside.
        int inside = 0, most = 0;
        var log = new List<long>();
        var tasks = Enumerable.Range(0, 10).Select(t => Task.Run(async () =>
        {
            var provider = t % 2 == 0 ? first : second;
            for (int i = 0; i < 20; i++)
            {
                await using var handle = await provider.AcquireSemaphoreAsync(name + ":c", 3, Deadline);
                int now = Interlocked.Increment(ref inside);
                lock (log)
                {
                    log.Add(handle.FencingToken);
                    most = Math.Max(most, now);
                }

                await Task.Yield();
                Interlocked.Decrement(ref inside);
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(most, 1, 3);
        Assert.Equal(200, log.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task WaitersAreServedInArrivalOrder(string server)
    {
        await using var kit = new LockTestKit();
        var client = await kit.ClientAsync(servers.Port(server));
        var provider = kit.Provider(client);
        string name = Name("fifo");
        var holder = await provider.AcquireAsync(name, TimeSpan.Zero);
        var order = new List<int>();
        var waiters = new List<Task>();
        for (int i = 0; i < 5; i++)
        {
            int me = i;
            var other = await kit.ProviderAsync(servers.Port(server));
            waiters.Add(Task.Run(async () =>
            {
                await using var handle = await other.AcquireAsync(name, Deadline);
                lock (order)
                {
                    order.Add(me);
                }
            }));

            // The next waiter starts only once this one is queued on the server.
            await WaitUntilAsync(async () => await client.ZCardAsync($"kvlock:{{{name}}}:queue") == me + 1, $"waiter {me} is queued");
        }

        await holder.DisposeAsync();
        await Task.WhenAll(waiters).WaitAsync(Deadline);
        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task AReleaseWakesTheWaiterWithoutWaitingForItsPoll(string server)
    {
        await using var kit = new LockTestKit();
        var options = new KvLockOptions { WaitPollInterval = TimeSpan.FromSeconds(30) };
        var holderSide = await kit.ProviderAsync(servers.Port(server), options);
        var waiterSide = await kit.ProviderAsync(servers.Port(server), options);
        string name = Name("wake");
        var holder = await holderSide.AcquireAsync(name, TimeSpan.Zero);
        var waiting = waiterSide.AcquireAsync(name, Deadline).AsTask();
        var client = await kit.ClientAsync(servers.Port(server));
        await WaitUntilAsync(async () => await client.ZCardAsync($"kvlock:{{{name}}}:queue") == 1, "the waiter is queued");

        var released = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(await holder.ReleaseAsync());
        await using var next = await waiting.WaitAsync(Deadline);
        Assert.True(released.Elapsed < TimeSpan.FromSeconds(5), $"The hand-over took {released.Elapsed}: the waiter was not woken by the release.");
        Assert.True(next.FencingToken > holder.FencingToken);
    }
}
