using Kv.Server;

namespace Kv.Client.Tests.Infrastructure;

/// <summary>The two servers every client test runs against: an in-process kv-server and a real redis-server.</summary>
public sealed class ServersFixture : IAsyncLifetime
{
    public KvServer Kv { get; private set; } = null!;

    public RedisProcess? Redis { get; private set; }

    /// <summary>The servers, as theory data: "kv" always, "redis" when installed (and always under CI, where a missing one fails).</summary>
    public static TheoryData<string> Servers => RedisProcess.Enabled ? new TheoryData<string> { "kv", "redis" } : new TheoryData<string> { "kv" };

    /// <summary>Each server with RESP2 and RESP3, so reply shapes of both protocols are covered.</summary>
    public static TheoryData<string, int> ServersAndProtocols
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var server in RedisProcess.Enabled ? new[] { "kv", "redis" } : ["kv"])
            {
                data.Add(server, 2);
                data.Add(server, 3);
            }

            return data;
        }
    }

    public async Task InitializeAsync()
    {
        Kv = await StartKvAsync();
        if (RedisProcess.Enabled)
        {
            Redis = await RedisProcess.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        await Kv.DisposeAsync();
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }

    public int Port(string server) => server switch
    {
        "kv" => Kv.Port,
        "redis" => Redis?.Port ?? throw new InvalidOperationException($"redis-server is not running: {RedisProcess.InstallHint}."),
        _ => throw new ArgumentOutOfRangeException(nameof(server), server, "kv or redis"),
    };

    public KvClientOptions Options(string server, int protocol = 3) => new()
    {
        Host = "127.0.0.1",
        Port = Port(server),
        Protocol = protocol,
        CommandTimeout = TimeSpan.FromSeconds(10),
    };

    public Task<KvClient> ConnectAsync(string server, int protocol = 3) => KvClient.ConnectAsync(Options(server, protocol));

    public static async Task<KvServer> StartKvAsync(int port = 0, string? password = null)
    {
        var server = new KvServer(new KvServerOptions { Port = port, RequirePass = password });
        await server.StartAsync();
        return server;
    }

    /// <summary>A key no other test uses.</summary>
    public static string Key(string name) => $"{name}:{Guid.NewGuid():N}";
}
