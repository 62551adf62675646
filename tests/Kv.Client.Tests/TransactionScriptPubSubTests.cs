using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>MULTI/EXEC with WATCH, scripts and pub/sub, against both servers.</summary>
public sealed class TransactionScriptPubSubTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task TransactionRunsAllCommands(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("tx"), list = Key("txl");
        await using var tx = await client.BeginTransactionAsync();
        var set = tx.Add("SET", key, "1");
        var incr = tx.Add("INCR", key);
        var wrong = tx.Add("LPUSH", key, "x");
        var push = tx.Add("RPUSH", list, "a");
        Assert.True(await tx.CommitAsync());
        Assert.True((await set).AsBoolean());
        Assert.Equal(2, (await incr).AsInt64());
        Assert.Equal("WRONGTYPE", (await Assert.ThrowsAsync<KvServerException>(() => wrong)).Prefix);
        Assert.Equal(1, (await push).AsInt64());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task WatchAbortsWhenAKeyChanges(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("w");
        await client.SetAsync(key, "10");
        await using (var tx = await client.BeginTransactionAsync([key]))
        {
            long value = (await tx.ExecuteAsync("GET", key)).AsInt64();
            await client.SetAsync(key, "changed");
            var set = tx.Add("SET", key, value + 1);
            Assert.False(await tx.CommitAsync());
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => set);
        }

        Assert.Equal("changed", (await client.GetAsync(key)).ToString());
        await using (var tx = await client.BeginTransactionAsync([key]))
        {
            _ = tx.Add("SET", key, "mine");
            Assert.True(await tx.CommitAsync());
        }

        Assert.Equal("mine", (await client.GetAsync(key)).ToString());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task RefusedCommandAbortsTheTransaction(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("abort");
        await using var tx = await client.BeginTransactionAsync();
        var set = tx.Add("SET", key, "v");
        _ = tx.Add("NOSUCHCOMMAND");
        var error = await Assert.ThrowsAsync<KvServerException>(() => tx.CommitAsync());
        Assert.Equal("EXECABORT", error.Prefix);
        await Assert.ThrowsAsync<KvServerException>(() => set);
        Assert.True((await client.GetAsync(key)).IsNull);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task ScriptsUseEvalShaThenEval(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        var script = new KvScript("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCRBY', KEYS[1], ARGV[2]) .. '!' .. '" + Guid.NewGuid() + "'");
        string key = Key("lua");
        Assert.Equal(0, (await client.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1))[0].AsInt64());
        var first = await client.EvalAsync(script, [key], ["5", "2"]);
        Assert.StartsWith("7!", first.AsString());
        Assert.Equal(1, (await client.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1))[0].AsInt64());
        var second = await client.EvalAsync(script, [key], ["1", "1"]);
        Assert.StartsWith("2!", second.AsString());

        // The memory overload keeps the caller's arrays (no copy), NOSCRIPT fallback included.
        var fresh = new KvScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) .. '" + Guid.NewGuid() + "'");
        ReadOnlyMemory<KvKey> keys = new KvKey[] { key };
        ReadOnlyMemory<KvValue> args = new KvValue[] { 3 };
        Assert.StartsWith("5", (await client.EvalAsync(fresh, keys, args)).AsString());
        Assert.StartsWith("8", (await client.EvalAsync(fresh, keys, args)).AsString());
        KvKey[] keyArray = [key];
        KvValue[] argArray = ["1"];
        Assert.StartsWith("9", (await client.EvalAsync(fresh, keyArray, argArray)).AsString());
        var failing = new KvScript("return redis.call('INCR', KEYS[1])");
        await client.SetAsync(key, "text");
        var error = await Assert.ThrowsAsync<KvServerException>(async () => await client.EvalAsync(failing, [key]));
        Assert.Contains("not an integer", error.Message);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task SubscribersReceiveMessagesInOrder(string server, int protocol)
    {

        await using var client = await servers.ConnectAsync(server, protocol);
        string channel = Key("ch");
        var received = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var patternHits = new TaskCompletionSource<KvMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (await client.SubscribeAsync(channel, m =>
        {
            received.Add(m.Message.ToString());
            if (received.Count == 100)
            {
                done.TrySetResult();
            }
        }))
        await using (await client.SubscribeAsync(KvChannel.Pattern(channel[..5] + "*"), m => patternHits.TrySetResult(m)))
        {
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(2, await client.PublishAsync(channel, i));
            }

            await done.Task.WaitAsync(Deadline);
            Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString()), received);
            var hit = await patternHits.Task.WaitAsync(Deadline);
            Assert.Equal(channel, hit.Channel);
            Assert.Equal(channel[..5] + "*", hit.Pattern);
        }

        // Unsubscribed: nobody receives.
        await WaitUntilAsync(async () => await client.PublishAsync(channel, "late") == 0);
    }

    [Fact]
    public async Task SubscriptionsSurviveAServerRestart()
    {
        if (!RedisProcess.Enabled)
        {
            return;
        }

        await using var redis = await RedisProcess.StartAsync();
        var options = new KvClientOptions { Host = "127.0.0.1", Port = redis.Port, ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200) };
        await using var client = await KvClient.ConnectAsync(options);
        var messages = new List<string>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await client.SubscribeAsync("news", m =>
        {
            lock (messages)
            {
                messages.Add(m.Message.ToString());
            }

            if (m.Message.ToString() == "after")
            {
                second.TrySetResult();
            }
        });
        Assert.Equal(1, await client.PublishAsync("news", "before"));
        redis.Kill();
        await redis.StartAsync();

        // Publish until the restored subscription receives (the subscriber reconnects on its own schedule).
        await WaitUntilAsync(async () => await client.PublishAsync("news", "after").AsTask().WaitAsync(Deadline) == 1);
        await second.Task.WaitAsync(Deadline);
        lock (messages)
        {
            Assert.Equal("before", messages[0]);
        }
    }

    [Fact]
    public async Task FailingHandlerIsReportedAndOthersStillRun()
    {
        if (!RedisProcess.Enabled)
        {
            return;
        }

        await using var client = await servers.ConnectAsync("redis");
        var reported = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.MessageHandlerFailed += (_, e) => reported.TrySetResult(e.Exception!);
        string channel = Key("fail");
        await using var bad = await client.SubscribeAsync(channel, _ => throw new InvalidOperationException("handler bug"));
        await using var good = await client.SubscribeAsync(channel, _ => delivered.TrySetResult());
        await client.PublishAsync(channel, "x");
        Assert.Equal("handler bug", (await reported.Task.WaitAsync(Deadline)).Message);
        await delivered.Task.WaitAsync(Deadline);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is KvConnectionException or TimeoutException)
            {
                // The server is restarting.
            }

            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(20);
        }
    }
}
