using Kv.Server;

namespace Kv.Client.Tests;

/// <summary>
/// KvClientOptions.ConnectCallback over KvServer.ConnectInMemory: an embedding app's client reaches its
/// server without a socket, and the connection behaves as a TCP one does (CLIENT KILL, server stop).
/// </summary>
public sealed class InMemoryTransportTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CommandsRunOverTheInMemoryPipe()
    {
        await using var server = new KvServer(new KvServerOptions { Port = 0 });
        await server.StartAsync();
        await using var client = await KvClient.ConnectAsync(InMemory(server));

        Assert.True(await client.SetAsync("k", "v"));
        Assert.Equal("v", (await client.GetAsync("k")).ToString());

        // The server sees an ordinary client with no socket address; TCP clients see its data.
        string info = (await client.ExecuteAsync("CLIENT", "INFO")).AsString()!;
        Assert.Contains("addr=?:0", info, StringComparison.Ordinal);
        await using var tcp = await KvClient.ConnectAsync($"127.0.0.1:{server.Port}");
        Assert.Equal("v", (await tcp.GetAsync("k")).ToString());
    }

    [Fact]
    public async Task ClientKillClosesTheConnectionAndTheClientReconnects()
    {
        await using var server = new KvServer(new KvServerOptions { Port = 0 });
        await server.StartAsync();
        await using var client = await KvClient.ConnectAsync(InMemory(server));
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionRestored += (_, _) => restored.TrySetResult();
        long id = (await client.ExecuteAsync("CLIENT", "ID")).AsInt64();

        await using var admin = await KvClient.ConnectAsync($"127.0.0.1:{server.Port}");
        Assert.Equal(1, (await admin.ExecuteAsync("CLIENT", "KILL", "ID", id)).AsInt64());

        await restored.Task.WaitAsync(Deadline);
        Assert.NotEqual(id, (await client.ExecuteAsync("CLIENT", "ID")).AsInt64());
    }

    [Fact]
    public async Task StoppingTheServerFailsWaitingCommandsInsteadOfHangingThem()
    {
        var server = new KvServer(new KvServerOptions { Port = 0 });
        await server.StartAsync();
        var options = InMemory(server);
        options.CommandTimeout = TimeSpan.FromSeconds(1);
        await using var client = await KvClient.ConnectAsync(options);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, _) => failed.TrySetResult();

        await server.StopAsync().WaitAsync(Deadline);
        await failed.Task.WaitAsync(Deadline);
        await Assert.ThrowsAnyAsync<Exception>(async () => await client.GetAsync("k")).WaitAsync(Deadline);
        Assert.Throws<InvalidOperationException>(() => server.ConnectInMemory());
    }

    [Fact]
    public async Task ConnectInMemoryBeforeStartSaysSo()
    {
        await using var server = new KvServer(new KvServerOptions { Port = 0 });
        var ex = Assert.Throws<InvalidOperationException>(() => server.ConnectInMemory());
        Assert.Contains("not started", ex.Message, StringComparison.Ordinal);
    }

    private static KvClientOptions InMemory(KvServer server) => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        ConnectCallback = _ => ValueTask.FromResult(server.ConnectInMemory()),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(10),
    };
}
