using Kv.Client.Tests.Infrastructure;
using Kv.Server;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>A server killed mid-flight: waiting commands fail fast, later ones succeed once it is back, nothing hangs.</summary>
public sealed class ResilienceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task KvServerStoppedMidFlight()
    {
        var server = await StartKvAsync();
        int port = server.Port;
        try
        {
            await using var client = await KvClient.ConnectAsync(Options(port));
            await VerifyOutageAsync(client, port, stop: () => server.DisposeAsync().AsTask(), start: async () => server = await StartKvAsync(port));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisServerKilledMidFlight()
    {
        if (!RedisProcess.Enabled)
        {
            return;
        }

        await using var redis = await RedisProcess.StartAsync();
        await using var client = await KvClient.ConnectAsync(Options(redis.Port));
        await VerifyOutageAsync(client, redis.Port, stop: () => { redis.Kill(); return Task.CompletedTask; }, start: redis.StartAsync);
    }

    [Fact]
    public async Task ABatchCancelledWhileQueuedIsNotSentAtAll()
    {
        var server = await StartKvAsync();
        int port = server.Port;
        await using var client = await KvClient.ConnectAsync(Options(port));
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, _) => failed.TrySetResult();
        client.ConnectionRestored += (_, _) => restored.TrySetResult();
        await server.DisposeAsync();
        await failed.Task.WaitAsync(Deadline);

        // MULTI, SET, EXEC queued while disconnected, then cancelled: none of it may reach the server.
        using var cts = new CancellationTokenSource();
        var batch = client.CreateBatch();
        var replies = new[] { batch.Add("MULTI").AsTask(), batch.Add("SET", "batched", "1").AsTask(), batch.Add("EXEC").AsTask() };
        batch.Execute(cts.Token);
        await cts.CancelAsync();
        foreach (var reply in replies)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reply).WaitAsync(Deadline);
        }

        server = await StartKvAsync(port);
        try
        {
            await restored.Task.WaitAsync(Deadline);
            Assert.True((await client.GetAsync("batched")).IsNull);
            Assert.Equal("PONG", (await client.ExecuteAsync("PING")).AsString());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task CommandsIssuedWhileDisconnectedWaitForTheReconnection()
    {
        var server = await StartKvAsync();
        int port = server.Port;
        await using var client = await KvClient.ConnectAsync(Options(port));
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, _) => failed.TrySetResult();
        await server.DisposeAsync();
        await failed.Task.WaitAsync(Deadline);

        var pending = client.SetAsync("k", "queued").AsTask();
        Assert.False(pending.IsCompleted);
        server = await StartKvAsync(port);
        try
        {
            Assert.True(await pending.WaitAsync(Deadline));
            Assert.Equal("queued", (await client.GetAsync("k")).ToString());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task CommandsIssuedWhileDisconnectedFailAtTheirTimeout()
    {
        var server = await StartKvAsync();
        var options = Options(server.Port);
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = await KvClient.ConnectAsync(options);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, _) => failed.TrySetResult();
        await server.DisposeAsync();
        await failed.Task.WaitAsync(Deadline);
        Assert.False(client.IsConnected);
        var error = await Assert.ThrowsAsync<KvConnectionException>(async () => await client.GetAsync("k").AsTask().WaitAsync(Deadline));
        Assert.Contains("GET could not be sent", error.Message);
        Assert.Contains("no connection", error.Message);
    }

    [Fact]
    public async Task ClientWithoutAServerConnectsWhenItStarts()
    {
        int port = RedisProcess.FreePort();
        await using var client = new KvClient(Options(port));
        var pending = client.SetAsync("k", "v").AsTask();
        await using var server = await StartKvAsync(port);
        Assert.True(await pending.WaitAsync(Deadline));
        Assert.True(client.IsConnected);
        Assert.True(await client.PingAsync() < Deadline);
    }

    [Fact]
    public async Task BrokenConnectionIsReplaced()
    {
        await using var server = await StartKvAsync();
        await using var client = await KvClient.ConnectAsync(Options(server.Port));
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionRestored += (_, e) => restored.TrySetResult();
        client.AbortConnection();
        await restored.Task.WaitAsync(Deadline);
        Assert.Equal("PONG", (await client.ExecuteAsync("PING")).AsString());
    }

    private static async Task VerifyOutageAsync(KvClient client, int port, Func<Task> stop, Func<Task> start)
    {
        var failed = new TaskCompletionSource<KvConnectionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, e) => failed.TrySetResult(e);
        client.ConnectionRestored += (_, _) => restored.TrySetResult();
        string list = Key("blocked");
        await client.SetAsync("before", "1");

        // A command parked on the main connection (BLPOP with no timeout) is in flight when the server goes.
        var waiting = client.ExecuteAsync("BLPOP", list, "0").AsTask();
        await using (var observer = await KvClient.ConnectAsync(Options(port)))
        {
            // The reply to BLPOP is what the main connection waits for, so another connection looks.
            await WaitUntilAsync(async () => (await observer.ExecuteAsync("CLIENT", "LIST")).AsString()!.Contains("cmd=blpop"));
        }

        await stop();
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => waiting.WaitAsync(Deadline));
        Assert.Contains("BLPOP", error.Message);
        Assert.Contains("may or may not have run", error.Message);
        var args = await failed.Task.WaitAsync(Deadline);
        Assert.NotNull(args.Exception);

        await start();
        await restored.Task.WaitAsync(Deadline);
        Assert.True(await client.SetAsync("after", "2").AsTask().WaitAsync(Deadline));
        Assert.Equal("2", (await client.GetAsync("after")).ToString());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(10);
        }
    }

    private static KvClientOptions Options(int port) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        CommandTimeout = TimeSpan.FromSeconds(5),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    };
}
