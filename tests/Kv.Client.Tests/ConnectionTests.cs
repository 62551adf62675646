using System.Text;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>Connection strings, the handshake (HELLO, AUTH, SELECT, SETNAME) and the errors that say what to do.</summary>
public sealed class ConnectionTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [InlineData("redis://localhost", "localhost", 6379, null, null, 0, false)]
    [InlineData("redis://user:p%40ss@db.example:6380/3", "db.example", 6380, "user", "p@ss", 3, false)]
    [InlineData("redis://:secret@127.0.0.1:7000", "127.0.0.1", 7000, null, "secret", 0, false)]
    [InlineData("rediss://cache:6390/1", "cache", 6390, null, null, 1, true)]
    [InlineData("127.0.0.1:6381", "127.0.0.1", 6381, null, null, 0, false)]
    [InlineData("myhost", "myhost", 6379, null, null, 0, false)]
    public void ParsesConnectionStrings(string text, string host, int port, string? user, string? password, int db, bool tls)
    {
        var options = KvClientOptions.Parse(text);
        Assert.Equal((host, port, user, password, db, tls), (options.Host, options.Port, options.User, options.Password, options.Database, options.UseTls));
    }

    [Theory]
    [InlineData("http://host")]
    [InlineData("redis://host/notanumber")]
    [InlineData("host:port")]
    public void RejectsMalformedConnectionStrings(string text)
    {
        var error = Assert.Throws<FormatException>(() => KvClientOptions.Parse(text));
        Assert.Contains(text, error.Message);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task ConnectionStringSelectsDatabaseAndName(string server)
    {
        int port = servers.Port(server);
        string name = "kvtest" + Guid.NewGuid().ToString("N")[..8];
        var options = KvClientOptions.Parse($"redis://127.0.0.1:{port}/5");
        options.ClientName = name;
        await using var client = await KvClient.ConnectAsync(options);
        Assert.Equal(3, client.Protocol);
        string key = Key("db");
        await client.SetAsync(key, "in5");
        await using var db0 = await KvClient.ConnectAsync($"127.0.0.1:{port}");
        Assert.True((await db0.GetAsync(key)).IsNull);
        Assert.Equal(name, (await client.ExecuteAsync("CLIENT", "GETNAME")).AsString());
        var list = (await client.ExecuteAsync("CLIENT", "LIST")).AsString()!;
        Assert.Contains($"name={name}", list);
        Assert.Contains("db=5", list.Split('\n').Single(line => line.Contains($"name={name}")));
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task Resp2OnRequest(string server)
    {
        var options = servers.Options(server, protocol: 2);
        options.ClientName = "resp2client";
        await using var client = await KvClient.ConnectAsync(options);
        Assert.Equal(2, client.Protocol);
        Assert.Equal(KvResultType.Array, (await client.ExecuteAsync("HGETALL", Key("h"))).Type);
        Assert.Equal("resp2client", (await client.ExecuteAsync("CLIENT", "GETNAME")).AsString());
    }

    [Fact]
    public async Task FallsBackToResp2WhenHelloIsUnknown()
    {
        var requests = new List<string>();
        await using var fake = new FakeServer(async (stream, ct) =>
        {
            while (true)
            {
                string request = await FakeServer.ReadRequestAsync(stream, ct);
                if (request.Length == 0)
                {
                    return;
                }

                lock (requests)
                {
                    requests.Add(request);
                }

                // Answer every command in the read: an old server knows neither HELLO nor CLIENT SETINFO.
                var reply = new StringBuilder();
                foreach (var command in request.Split("*").Skip(1))
                {
                    reply.Append(command.Contains("HELLO") ? "-ERR unknown command 'HELLO'\r\n"
                        : command.Contains("SETINFO") ? "-ERR unknown subcommand 'SETINFO'\r\n"
                        : command.Contains("GET") ? "$2\r\nhi\r\n"
                        : "+OK\r\n");
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply.ToString()), ct);
            }
        });
        await using var client = await KvClient.ConnectAsync(new KvClientOptions { Host = "127.0.0.1", Port = fake.Port, Password = "pw" });
        Assert.Equal(2, client.Protocol);
        Assert.Equal("hi", (await client.GetAsync("k")).ToString());
        string all = string.Concat(requests);
        Assert.Contains("HELLO", all);
        Assert.Contains("$4\r\nAUTH\r\n$2\r\npw\r\n", all);
    }

    [Fact]
    public async Task AuthenticatesWithPassword()
    {
        await using var kv = await StartKvAsync(password: "s3cret");
        await using (var client = await KvClient.ConnectAsync($"redis://:s3cret@127.0.0.1:{kv.Port}"))
        {
            Assert.True(await client.SetAsync("k", "v"));
        }

        var wrong = await Assert.ThrowsAsync<KvServerException>(() => KvClient.ConnectAsync($"redis://:nope@127.0.0.1:{kv.Port}"));
        Assert.Equal("WRONGPASS", wrong.Prefix);
        Assert.Contains("password", wrong.Message);
        var missing = await Assert.ThrowsAsync<KvServerException>(() => KvClient.ConnectAsync($"127.0.0.1:{kv.Port}"));
        Assert.Equal("NOAUTH", missing.Prefix);
        Assert.Contains("KvClientOptions.Password", missing.Message);
    }

    [Fact]
    public async Task UnreachableServerFailsWithConnectionException()
    {
        int port = RedisProcess.FreePort();
        var options = new KvClientOptions { Host = "127.0.0.1", Port = port, ConnectTimeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(options));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("server is running", error.Message);
    }

    [Fact]
    public async Task SilentServerFailsWithinConnectTimeout()
    {
        await using var fake = new FakeServer((stream, ct) => Task.Delay(Timeout.Infinite, ct));
        var options = new KvClientOptions { Host = "127.0.0.1", Port = fake.Port, ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(options));
        Assert.Contains("ConnectTimeout", error.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task GarbageFromTheServerEndsTheConnectionWithAClearError()
    {
        await using var fake = new FakeServer(async (stream, ct) =>
        {
            // The handshake, then garbage.
            await FakeServer.AnswerHandshakeAsync(stream, ct);
            await FakeServer.ReadRequestAsync(stream, ct);
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var options = new KvClientOptions { Host = "127.0.0.1", Port = fake.Port, ReconnectMinDelay = TimeSpan.FromSeconds(5) };
        await using var client = await KvClient.ConnectAsync(options);
        var error = await Assert.ThrowsAsync<KvConnectionException>(async () => await client.GetAsync("k").AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("Protocol error", error.Message);
        Assert.Contains("not RESP", error.Message);
    }

    [Fact]
    public async Task CommandTimeoutNamesTheCommand()
    {
        await using var fake = new FakeServer(async (stream, ct) =>
        {
            await FakeServer.ReadRequestAsync(stream, ct);
            await stream.WriteAsync("%0\r\n+OK\r\n+OK\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var options = new KvClientOptions { Host = "127.0.0.1", Port = fake.Port, CommandTimeout = TimeSpan.FromMilliseconds(200) };
        await using var client = await KvClient.ConnectAsync(options);
        var error = await Assert.ThrowsAsync<TimeoutException>(async () => await client.GetAsync("k").AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("GET", error.Message);
        Assert.Contains("CommandTimeout", error.Message);
    }

    [Fact]
    public async Task CancellationStopsTheWait()
    {
        await using var fake = new FakeServer(async (stream, ct) =>
        {
            await FakeServer.ReadRequestAsync(stream, ct);
            await stream.WriteAsync("%0\r\n+OK\r\n+OK\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var client = await KvClient.ConnectAsync(new KvClientOptions { Host = "127.0.0.1", Port = fake.Port });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.GetAsync("k", cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AddKvClientRegistersASingleton()
    {
        var services = new ServiceCollection();
        services.AddKvClient($"redis://127.0.0.1:{servers.Kv.Port}/2");
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<KvClient>();
        Assert.Same(client, provider.GetRequiredService<KvClient>());
        string key = Key("di");
        Assert.True(await client.SetAsync(key, "v"));
        Assert.Equal(2L, (await client.ExecuteAsync("CLIENT", "INFO")).AsString()!.Split(' ').Where(p => p.StartsWith("db=")).Select(p => long.Parse(p[3..])).Single());
    }
}
