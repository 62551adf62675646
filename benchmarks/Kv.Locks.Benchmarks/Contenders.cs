using Kv.Client;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Kv.Locks.Benchmarks;

/// <summary>A lock library under test: acquire (waiting as long as it takes) and release, by name.</summary>
internal interface IContender : IAsyncDisposable
{
    string Name { get; }

    ValueTask<IAsyncDisposable> AcquireAsync(string lockName);
}

/// <summary>Kv.Locks on one KvClient.</summary>
internal sealed class KvLocksContender(KvClient client, KvDistributedLockProvider provider) : IContender
{
    public string Name => "Kv.Locks";

    public static async Task<IContender> CreateAsync(int port)
    {
        var client = await KvClient.ConnectAsync(new KvClientOptions { Host = "127.0.0.1", Port = port });
        return new KvLocksContender(client, new KvDistributedLockProvider(client));
    }

    public async ValueTask<IAsyncDisposable> AcquireAsync(string lockName) => await provider.AcquireAsync(lockName).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await provider.DisposeAsync();
        await client.DisposeAsync();
    }
}

/// <summary>DistributedLock.Redis (Medallion) on one StackExchange.Redis multiplexer, with its default options (30 s expiry, busy-wait 10–800 ms).</summary>
internal sealed class DistributedLockRedisContender(ConnectionMultiplexer connection) : IContender
{
    private readonly IDatabase _database = connection.GetDatabase();

    public string Name => "DistributedLock.Redis";

    public static async Task<IContender> CreateAsync(int port)
        => new DistributedLockRedisContender(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}"));

    public async ValueTask<IAsyncDisposable> AcquireAsync(string lockName)
        => await new RedisDistributedLock(lockName, _database).AcquireAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}
