namespace Kv.Server.Tests.Infrastructure;

/// <summary>An in-process kv-server on an ephemeral loopback port, shared by the tests of a class.</summary>
public class KvServerFixture : IAsyncLifetime
{
    public KvServer Server { get; private set; } = null!;

    public int Port => Server.Port;

    /// <summary>Extra redis.conf-style arguments; override by subclassing for a server with other settings.</summary>
    protected virtual IList<string> Arguments => [];

    public async Task InitializeAsync()
    {
        Server = await StartAsync(Arguments);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Starts a dedicated server (for tests that change settings or stop it).</summary>
    public static async Task<KvServer> StartAsync(IList<string>? arguments = null, TimeProvider? time = null)
    {
        var server = new KvServer(new KvServerOptions
        {
            Port = 0,
            Arguments = arguments ?? [],
            TimeProvider = time ?? TimeProvider.System,
        });
        await server.StartAsync();
        return server;
    }

    /// <summary>A new connection to this fixture's server.</summary>
    public Task<RespTestClient> ConnectAsync() => RespTestClient.ConnectAsync(Port);
}
