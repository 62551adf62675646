using System.Net.Sockets;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Protocol;

/// <summary>redis.conf limits a hostile client runs into: proto-max-bulk-len, client-query-buffer-limit, unauthenticated requests.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task ProtoMaxBulkLenRefusesLargerBulks()
    {
        await using var server = await KvServerFixture.StartAsync(["--proto-max-bulk-len", "1mb"]);
        await using (var client = await RespTestClient.ConnectAsync(server.Port))
        {
            Assert.Equal("+OK", (await client.SendAsync("SET", "k", new byte[1024 * 1024])).ToString());
        }

        using var connection = await RawConnection.ConnectAsync(server.Port);
        await connection.SendAsync(RespTestClient.Encode("SET", "k", new byte[2 * 1024 * 1024])[..64]);
        var (text, closed) = await connection.ReadUntilClosedAsync();
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", text);
        Assert.True(closed);
    }

    [Fact]
    public async Task QueryBufferLimitClosesTheClientBeforeItsRequestIsBuffered()
    {
        await using var server = await KvServerFixture.StartAsync(["--client-query-buffer-limit", "1mb"]);
        await using var bystander = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+PONG", (await bystander.SendAsync("PING")).ToString());

        // A pipeline of more than 1 MB in all is fine (it is parsed as it arrives, as in Redis)...
        await using (var pipeliner = await RespTestClient.ConnectAsync(server.Port))
        {
            var batch = new List<byte>();
            for (int i = 0; i < 2100; i++)
            {
                batch.AddRange(RespTestClient.Encode("SET", "k", new string('v', 1000)));
            }

            await pipeliner.WriteRawAsync(batch.ToArray());
            for (int i = 0; i < 2100; i++)
            {
                Assert.Equal("+OK", (await pipeliner.ReadReplyAsync()).ToString());
            }
        }

        // ...but one request of 64 MB is cut off once more than 1 MB of it waits: the server
        // closes the connection without a reply, long before the client could send it all.
        using var connection = await RawConnection.ConnectAsync(server.Port);
        await connection.SendAsync("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$67108864\r\n");
        var chunk = new byte[64 * 1024];
        long sent = 0;
        var closedTask = connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(20));
        try
        {
            while (sent < 64L * 1024 * 1024 && !closedTask.IsCompleted)
            {
                await connection.SendAsync(chunk);
                sent += chunk.Length;
            }
        }
        catch (SocketException)
        {
            // The server closed the connection while we were sending: expected.
        }

        var (text, closed) = await closedTask;
        Assert.True(closed);
        Assert.Equal("", text);
        Assert.True(sent < 64L * 1024 * 1024, "the whole request was accepted");
        Assert.Equal("+PONG", (await bystander.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task UnauthenticatedClientsAreLimitedAsInRedis()
    {
        await using var server = await KvServerFixture.StartAsync(["--requirepass", "secret"]);

        async Task<(string Text, bool Closed)> Exchange(byte[] bytes)
        {
            using var connection = await RawConnection.ConnectAsync(server.Port);
            await connection.SendAsync(bytes);
            return await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(2));
        }

        object[] elevenArgs = ["DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        Assert.Equal(("-ERR Protocol error: unauthenticated multibulk length\r\n", true), await Exchange(RespTestClient.Encode(elevenArgs)));
        Assert.Equal(("-ERR Protocol error: unauthenticated bulk length\r\n", true), await Exchange(RespTestClient.Encode("PING", new string('x', 16385))));
        Assert.Equal(("-NOAUTH Authentication required.\r\n", false), await Exchange(RespTestClient.Encode("PING", new string('x', 16384))));
        Assert.Equal(("-NOAUTH Authentication required.\r\n", false), await Exchange("PING\r\n"u8.ToArray()));

        // AUTH lifts the limits for the very next command of the same write, as Redis parses
        // each command after running the one before.
        Assert.Equal(("+OK\r\n:0\r\n", false), await Exchange([.. RespTestClient.Encode("AUTH", "secret"), .. RespTestClient.Encode(elevenArgs)]));
        Assert.Equal(
            ("-WRONGPASS invalid username-password pair or user is disabled.\r\n-ERR Protocol error: unauthenticated multibulk length\r\n", true),
            await Exchange([.. RespTestClient.Encode("AUTH", "wrong"), .. RespTestClient.Encode(elevenArgs)]));

        // RESET makes the client unauthenticated again: what follows it is held to the limits.
        Assert.Equal(
            ("+OK\r\n+RESET\r\n-ERR Protocol error: unauthenticated multibulk length\r\n", true),
            await Exchange([.. RespTestClient.Encode("AUTH", "secret"), .. RespTestClient.Encode("RESET"), .. RespTestClient.Encode(elevenArgs)]));
    }
}
