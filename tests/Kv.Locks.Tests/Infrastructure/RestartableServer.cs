using Kv.Client.Tests.Infrastructure;
using Kv.Server;

namespace Kv.Locks.Tests.Infrastructure;

/// <summary>A kv-server or redis-server of a test's own, stopped and started again on the same port.</summary>
public sealed class RestartableServer : IAsyncDisposable
{
    private KvServer? _kv;
    private RedisProcess? _redis;

    public int Port { get; private init; }

    public static async Task<RestartableServer> StartAsync(string server)
    {
        if (server == "redis")
        {
            var redis = await RedisProcess.StartAsync();
            return new RestartableServer { _redis = redis, Port = redis.Port };
        }

        var kv = await ServersFixture.StartKvAsync();
        return new RestartableServer { _kv = kv, Port = kv.Port };
    }

    public async Task StopAsync()
    {
        if (_redis is not null)
        {
            _redis.Kill();
        }
        else if (_kv is not null)
        {
            await _kv.DisposeAsync();
            _kv = null;
        }
    }

    public async Task StartAsync()
    {
        if (_redis is not null)
        {
            await _redis.StartAsync();
        }
        else
        {
            _kv = await ServersFixture.StartKvAsync(Port);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_kv is not null)
        {
            await _kv.DisposeAsync();
        }
    }
}
