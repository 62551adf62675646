using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// What protects a server reachable from a browser or a network, against redis-server: cross-protocol
/// scripting (an HTTP request sent to the port) and protected mode.
/// </summary>
public sealed class ConnectionSafetyCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public ConnectionSafetyCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [InlineData("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nSET pwned yes\r\n")]
    [InlineData("Host: 127.0.0.1\r\nSET pwned yes\r\n")]
    [InlineData("PING\r\npost /x HTTP/1.1\r\nSET pwned yes\r\n")]
    [InlineData("*1\r\n$4\r\nPING\r\n*2\r\n$5\r\nHOST:\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$3\r\nyes\r\n")]
    [InlineData("MULTI\r\nPOST /\r\nSET pwned yes\r\nEXEC\r\n")]
    public async Task HttpRequestIsClosedWithoutRunningAnything(string request)
    {
        foreach (int port in new[] { _fixture.KvPort, _fixture.RedisPort })
        {
            await using (var setup = await RespTestClient.ConnectAsync(port))
            {
                await setup.SendAsync("DEL", "pwned");
            }

            await using var browser = await RespTestClient.ConnectAsync(port);
            await browser.WriteRawAsync(request);
            string sent = await browser.ReadUntilClosedAsync();
            await using var check = await RespTestClient.ConnectAsync(port);
            Assert.Equal(":0", (await check.SendAsync("EXISTS", "pwned")).ToString());

            // Redis frees the client at once: not even the replies of what came before it in the read are sent.
            Assert.Equal("", sent);
        }
    }

    [RedisFact]
    public async Task ProtectedModeDeniesClientsOutsideLoopbackWithoutAPassword()
    {
        // Redis counts only 127.0.0.1 and ::1 as local: a client from 127.0.0.2 stands for a remote one.
        string? kvDenied = null;
        foreach (int port in new[] { _fixture.RedisPort, _fixture.KvPort })
        {
            await using var remote = await RespTestClient.ConnectFromAsync("127.0.0.2", port);
            await remote.WriteCommandAsync("SET", "pwned", "yes");
            string sent = await remote.ReadUntilClosedAsync();
            Assert.StartsWith("-DENIED Redis is running in protected mode", sent, StringComparison.Ordinal);
            kvDenied = kvDenied is null ? sent : kvDenied == sent ? sent : throw new Xunit.Sdk.XunitException($"kv-server sent\n{sent}\nredis-server sent\n{kvDenied}");
            await using var check = await RespTestClient.ConnectAsync(port);
            Assert.Equal(":0", (await check.SendAsync("EXISTS", "pwned")).ToString());
        }
    }

    [Fact]
    public async Task ProtectedModeLetsRemoteClientsInWithAPasswordOrWhenOff()
    {
        await using (var off = await KvServerFixture.StartAsync(["--protected-mode", "no"]))
        {
            await using var remote = await RespTestClient.ConnectFromAsync("127.0.0.2", off.Port);
            Assert.Equal("+PONG", (await remote.SendAsync("PING")).ToString());
        }

        await using var withPassword = await KvServerFixture.StartAsync(["--requirepass", "secret"]);
        await using var client = await RespTestClient.ConnectFromAsync("127.0.0.2", withPassword.Port);
        Assert.StartsWith("-NOAUTH", (await client.SendAsync("PING")).ToString(), StringComparison.Ordinal);
        Assert.Equal("+OK", (await client.SendAsync("AUTH", "secret")).ToString());
        Assert.Equal("+PONG", (await client.SendAsync("PING")).ToString());
    }
}
