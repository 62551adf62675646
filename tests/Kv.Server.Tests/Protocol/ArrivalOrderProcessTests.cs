using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Protocol;

/// <summary>
/// The kv-server tool runs commands from different connections in the order they arrive, as Redis's one
/// event loop does: clients (and Redis's own test suite) send on one connection and then, without waiting
/// for the reply, on another.
/// </summary>
public sealed class ArrivalOrderProcessTests
{
    private const int Rounds = 200;

    [Fact]
    public async Task AWriteIsSeenByACommandSentAfterItOnAnotherConnection()
    {
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var reader = await RespTestClient.ConnectAsync(server.Port);
        int overtaken = 0;
        for (int i = 0; i < Rounds; i++)
        {
            await using var writer = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("+PONG", (await writer.SendAsync("PING")).ToString());
            string value = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await writer.WriteCommandAsync("SET", "k", value);
            if ((await reader.SendAsync("GET", "k")).Text != value)
            {
                overtaken++;
            }

            Assert.Equal("+OK", (await writer.ReadReplyAsync()).ToString());
        }

        // Two socket threads racing for the keyspace lock overtook it in about 1 round of 12 on 2 cores.
        Assert.True(overtaken <= 2, $"{overtaken} of {Rounds} GETs ran before the SET sent ahead of them.");
    }

    [Fact]
    public async Task NewClientsFirstCommandsRunInTheOrderTheyWereSent()
    {
        // Redis's list.tcl "BRPOPLPUSH with multiple blocked clients": if the second client's pop runs
        // first it takes the element, and the first one (whose target has the wrong type) blocks for ever.
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        int outOfOrder = 0;
        for (int i = 0; i < Rounds; i++)
        {
            await admin.SendAsync("DEL", "blist", "target1", "target2");
            await admin.SendAsync("SET", "target1", "nolist");
            await using var first = await RespTestClient.ConnectAsync(server.Port);
            await using var second = await RespTestClient.ConnectAsync(server.Port);

            // As Redis's redis_deferring_client: each connection has been served once.
            Assert.Equal("+PONG", (await first.SendAsync("PING")).ToString());
            Assert.Equal("+PONG", (await second.SendAsync("PING")).ToString());
            await first.WriteCommandAsync("BRPOPLPUSH", "blist", "target1", "0");
            await second.WriteCommandAsync("BRPOPLPUSH", "blist", "target2", "0");
            Assert.Equal(":1", (await admin.SendAsync("LPUSH", "blist", "foo")).ToString());
            Assert.Equal("foo", (await second.ReadReplyAsync()).Text);
            if (!await AnswersWithAnErrorAsync(first))
            {
                outOfOrder++;
            }
        }

        Assert.True(outOfOrder <= 2, $"{outOfOrder} of {Rounds} rounds ran the second client's pop first.");
    }

    // The first client's pop fails with WRONGTYPE when it runs first; otherwise it blocks (no reply).
    private static async Task<bool> AnswersWithAnErrorAsync(RespTestClient client)
    {
        try
        {
            return (await client.ReadReplyAsync(TimeSpan.FromSeconds(1))).IsError;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
