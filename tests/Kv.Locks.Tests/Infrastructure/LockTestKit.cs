using Kv.Client;
using Kv.Client.Tests.Infrastructure;

namespace Kv.Locks.Tests.Infrastructure;

/// <summary>Clients and providers for lock tests, each owning its connections; disposed together.</summary>
public sealed class LockTestKit : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>A lock name no other test uses.</summary>
    public static string Name(string name) => ServersFixture.Key(name);

    public static KvClientOptions Options(int port) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        CommandTimeout = TimeSpan.FromSeconds(5),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    public async Task<KvClient> ClientAsync(int port)
    {
        var client = await KvClient.ConnectAsync(Options(port));
        _owned.Add(client);
        return client;
    }

    /// <summary>A provider on a client (and connections) of its own.</summary>
    public async Task<KvDistributedLockProvider> ProviderAsync(int port, KvLockOptions? options = null, TimeProvider? time = null)
        => Provider(await ClientAsync(port), options, time);

    public KvDistributedLockProvider Provider(KvClient client, KvLockOptions? options = null, TimeProvider? time = null)
    {
        var provider = new KvDistributedLockProvider(client, options, time);
        // Disposed before its client (the list is disposed in reverse).
        _owned.Add(provider);
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Deadline"/> passes (for server state no event reports).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }
}
