using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Kv.Locks.Internal;
using Microsoft.Extensions.DependencyInjection;
using static Kv.Locks.Tests.Infrastructure.LockTestKit;

namespace Kv.Locks.Tests;

/// <summary>Where a lock's keys live (one hash tag) and how the provider is registered.</summary>
public sealed class KeysAndRegistrationTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Fact]
    public void ALocksKeysShareOneHashTag()
    {
        var target = new LockTarget("kvlock:", "cart:42", maxCount: 0);
        Assert.Equal(["kvlock:{cart:42}", "kvlock:{cart:42}:fence", "kvlock:{cart:42}:queue", "kvlock:{cart:42}:waiters"], target.Keys.Select(k => k.ToString()));
        Assert.Equal("kvlock:{cart:42}:released", target.Channel);
        var semaphore = new LockTarget("app:", "jobs", maxCount: 3);
        Assert.All(semaphore.Keys, k => Assert.StartsWith("app:{jobs}:sem", k.ToString()));
    }

    [Theory]
    [MemberData(nameof(ServersFixture.Servers), MemberType = typeof(ServersFixture))]
    public async Task TheHolderKeyHoldsTheTokenWithTheLease(string server)
    {
        await using var client = await KvClient.ConnectAsync(Options(servers.Port(server)));
        await using var provider = new KvDistributedLockProvider(client, new KvLockOptions { KeyPrefix = "test-locks:" });
        string name = Name("layout");
        var handle = (LockHandle)await provider.AcquireAsync(name, TimeSpan.Zero);
        Assert.Equal(handle.Token, (await client.GetAsync($"test-locks:{{{name}}}")).ToString());
        Assert.InRange(await client.TtlAsync($"test-locks:{{{name}}}") ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal(handle.FencingToken, (long)await client.GetAsync($"test-locks:{{{name}}}:fence"));
        Assert.True(await handle.ReleaseAsync());
        Assert.False(await client.ExistsAsync($"test-locks:{{{name}}}") == 1);
        Assert.False(await handle.ReleaseAsync());
    }

    [Fact]
    public async Task AddKvLocksUsesTheRegisteredClient()
    {
        var services = new ServiceCollection();
        services.AddKvClient($"redis://127.0.0.1:{servers.Kv.Port}");
        services.AddKvLocks(o => o.Lease = TimeSpan.FromSeconds(10));
        await using var container = services.BuildServiceProvider();
        var provider = container.GetRequiredService<IDistributedLockProvider>();
        Assert.Same(provider, container.GetRequiredService<KvDistributedLockProvider>());
        await using var handle = await provider.AcquireAsync(Name("di"), TimeSpan.Zero);
        Assert.True(handle.FencingToken > 0);
    }

    [Fact]
    public void AddKvLocksWithoutAClientSaysWhatIsMissing()
    {
        var services = new ServiceCollection();
        services.AddKvLocks();
        using var container = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => container.GetRequiredService<IDistributedLockProvider>());
        Assert.Contains("AddKvClient", error.Message);
    }
}
