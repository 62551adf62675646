using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Network;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// BZPOPMIN, BZPOPMAX and BZMPOP over real sockets: immediate service, FIFO waiters, timeouts in
/// RESP2/RESP3, wake-ups by every kind of sorted-set write, WRONGTYPE, MULTI, disconnects and
/// CLIENT UNBLOCK. Expected replies were taken from redis-server 7.0.15.
/// </summary>
public sealed class SortedSetBlockingTests : IClassFixture<KvServerFixture>
{
    private const string WrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly KvServerFixture _fixture;

    public SortedSetBlockingTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task NonEmptyKeyIsServedAtOnceInBothProtocols()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":4", "ZADD", "now:z", "1", "a", "2", "b", "3", "c", "4", "d");
        await c.Expect("*[$now:z, $a, $1]", "BZPOPMIN", "now:none", "now:z", "0");
        await c.Expect("*[$now:z, $d, $4]", "BZPOPMAX", "now:none", "now:z", "0");
        await c.Expect("*[$now:z, *[*[$b, $2]]]", "BZMPOP", "0", "2", "now:none", "now:z", "MIN");
        await c.SendAsync("HELLO", "3");
        await c.Expect("*[$now:z, *[*[$c, ,3]]]", "BZMPOP", "0", "1", "now:z", "MAX", "COUNT", "10");
        await c.Expect(":0", "EXISTS", "now:z");
        await c.Expect(":1", "ZADD", "now:z", "1.5", "e");
        await c.Expect("*[$now:z, $e, ,1.5]", "BZPOPMIN", "now:z", "0");
    }

    [Fact]
    public async Task BzmpopCountPopsFromTheRequestedEnd()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":5", "ZADD", "cnt:z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        await c.Expect("*[$cnt:z, *[*[$a, $1], *[$b, $2]]]", "BZMPOP", "0", "1", "cnt:z", "MIN", "COUNT", "2");
        await c.Expect("*[$cnt:z, *[*[$e, $5], *[$d, $4]]]", "BZMPOP", "0", "1", "cnt:z", "max", "count", "2");
        await c.Expect("*[$cnt:z, *[*[$c, $3]]]", "BZMPOP", "0", "1", "cnt:z", "MAX", "COUNT", "9");
        await c.Expect(":0", "EXISTS", "cnt:z");
    }

    [Fact]
    public async Task WaitersAreServedFirstComeFirstServed()
    {
        await using var admin = await _fixture.ConnectAsync();
        var clients = new List<RespTestClient>();
        try
        {
            string[] commands = ["BZPOPMIN", "BZPOPMAX", "BZPOPMIN"];
            for (int i = 0; i < 3; i++)
            {
                var c = await _fixture.ConnectAsync();
                clients.Add(c);
                await c.WriteCommandAsync(commands[i], "fifo:z", "0");
                await WaitForBlockedAsync(admin, i + 1);
            }

            await admin.Expect(":4", "ZADD", "fifo:z", "1", "a", "2", "b", "3", "c", "4", "d");
            Assert.Equal("*[$fifo:z, $a, $1]", (await clients[0].ReadReplyAsync(Deadline)).ToString());
            Assert.Equal("*[$fifo:z, $d, $4]", (await clients[1].ReadReplyAsync(Deadline)).ToString());
            Assert.Equal("*[$fifo:z, $b, $2]", (await clients[2].ReadReplyAsync(Deadline)).ToString());
            await WaitForBlockedAsync(admin, 0);
            await admin.Expect("*[$c, $3]", "ZRANGE", "fifo:z", "0", "-1", "WITHSCORES");
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TimeoutRepliesNullArrayInResp2AndNullInResp3()
    {
        await using var c = await _fixture.ConnectAsync();
        var watch = Stopwatch.StartNew();
        await c.Expect("(nil-array)", "BZPOPMIN", "to:z", "0.1");
        Assert.InRange(watch.ElapsedMilliseconds, 90, 5000);
        await c.Expect("(nil-array)", "BZPOPMAX", "to:z", "to:y", "0.05");
        await c.Expect("(nil-array)", "BZMPOP", "0.05", "2", "to:z", "to:y", "MIN", "COUNT", "3");
        await c.SendAsync("HELLO", "3");
        await c.Expect("(null)", "BZPOPMIN", "to:z", "0.05");
        await c.Expect("(null)", "BZPOPMAX", "to:z", "0.05");
        await c.Expect("(null)", "BZMPOP", "0.05", "1", "to:z", "MAX");
        await c.Expect(":0", "EXISTS", "to:z", "to:y");
    }

    [Fact]
    public async Task ArgumentErrorsMatchRedis()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("-ERR timeout is negative", "BZPOPMIN", "err:z", "-1");
        await c.Expect("-ERR timeout is not a float or out of range", "BZPOPMAX", "err:z", "soon");
        await c.Expect("-ERR timeout is negative", "BZPOPMIN", "err:z", "1e300");
        await c.Expect("-ERR timeout is not a float or out of range", "BZMPOP", "soon", "1", "err:z", "MIN");

        // BZMPOP reads the timeout after numkeys, MIN|MAX and COUNT (zmpopGenericCommand).
        await c.Expect("-ERR numkeys should be greater than 0", "BZMPOP", "soon", "0", "err:z", "MIN");
        await c.Expect("-ERR syntax error", "BZMPOP", "soon", "1", "err:z", "LEFT");
        await c.Expect("-ERR count should be greater than 0", "BZMPOP", "soon", "1", "err:z", "MIN", "COUNT", "0");
        await c.Expect("-ERR syntax error", "BZMPOP", "0", "1", "err:z", "MIN", "COUNT", "1", "COUNT", "1");
        await c.Expect("-ERR syntax error", "BZMPOP", "0", "5", "err:z", "MIN");
        await c.Expect("-ERR wrong number of arguments for 'bzpopmin' command", "BZPOPMIN", "err:z");
        await c.Expect("-ERR wrong number of arguments for 'bzmpop' command", "BZMPOP", "0", "1", "err:z");
    }

    [Fact]
    public async Task WrongTypeRepliesAtOnceAndAnotherTypeDoesNotServeAWaiter()
    {
        await using var admin = await _fixture.ConnectAsync();
        await using var c = await _fixture.ConnectAsync();
        await admin.Expect("+OK", "SET", "wt:s", "x");
        await c.Expect(WrongType, "BZPOPMIN", "wt:none", "wt:s", "0");
        await c.Expect(WrongType, "BZPOPMAX", "wt:s", "0");
        await c.Expect(WrongType, "BZMPOP", "0", "2", "wt:none", "wt:s", "MIN");

        // A list arriving on the waited key leaves the sorted-set waiter blocked (Redis serves by type).
        await c.WriteCommandAsync("BZPOPMIN", "wt:k", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "RPUSH", "wt:k", "item");
        await admin.Expect("*[$item]", "LRANGE", "wt:k", "0", "-1");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "DEL", "wt:k");
        await admin.Expect(":1", "ZADD", "wt:k", "7", "m");
        Assert.Equal("*[$wt:k, $m, $7]", (await c.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task ZaddFromAnotherClientWakesTheWaiterOnTheRightKey()
    {
        await using var admin = await _fixture.ConnectAsync();
        await using var c = await _fixture.ConnectAsync();
        await c.WriteCommandAsync("BZPOPMAX", "wake:a", "wake:b", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":2", "ZADD", "wake:b", "1", "x", "2", "y");
        Assert.Equal("*[$wake:b, $y, $2]", (await c.ReadReplyAsync(Deadline)).ToString());
        await admin.Expect("*[$x]", "ZRANGE", "wake:b", "0", "-1");

        // RESP3 waiter: the score comes back as a double.
        await c.SendAsync("HELLO", "3");
        await c.WriteCommandAsync("BZMPOP", "0", "2", "wake:a", "wake:c", "MIN", "COUNT", "2");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":3", "ZADD", "wake:c", "3", "p", "1", "q", "2", "r");
        Assert.Equal("*[$wake:c, *[*[$q, ,1], *[$r, ,2]]]", (await c.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task ZincrbyAndStoreCommandsWakeWaiters()
    {
        await using var admin = await _fixture.ConnectAsync();
        await using var c = await _fixture.ConnectAsync();
        await c.WriteCommandAsync("BZPOPMIN", "st:incr", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect("$5", "ZINCRBY", "st:incr", "5", "m");
        Assert.Equal("*[$st:incr, $m, $5]", (await c.ReadReplyAsync(Deadline)).ToString());

        await admin.Expect(":2", "ZADD", "st:src", "1", "a", "2", "b");
        await c.WriteCommandAsync("BZPOPMAX", "st:union", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":2", "ZUNIONSTORE", "st:union", "1", "st:src");
        Assert.Equal("*[$st:union, $b, $2]", (await c.ReadReplyAsync(Deadline)).ToString());

        await c.WriteCommandAsync("BZMPOP", "0", "1", "st:range", "MIN");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":2", "ZRANGESTORE", "st:range", "st:src", "0", "-1");
        Assert.Equal("*[$st:range, *[*[$a, $1]]]", (await c.ReadReplyAsync(Deadline)).ToString());

        await c.WriteCommandAsync("BZPOPMIN", "st:renamed", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect("+OK", "RENAME", "st:src", "st:renamed");
        Assert.Equal("*[$st:renamed, $a, $1]", (await c.ReadReplyAsync(Deadline)).ToString());
        await admin.Expect(":1", "ZADD", "st:src", "1", "a");

        // An empty result deletes the destination and wakes nobody; the waiter times out instead.
        await c.WriteCommandAsync("BZPOPMIN", "st:inter", "0.2");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":0", "ZINTERSTORE", "st:inter", "2", "st:src", "st:missing");
        Assert.Equal("(nil-array)", (await c.ReadReplyAsync(Deadline)).ToString());
    }

    [Theory]
    [InlineData(2, "*-1\r\n")]
    [InlineData(3, "_\r\n")]
    public void InsideATransactionTheCommandRepliesAsATimeoutInsteadOfBlocking(int protocol, string nullArray)
    {
        // MULTI is not on main yet: drive the handler in-process with InTransaction set, as EXEC will (CLIENT_DENY_BLOCKING).
        Assert.Equal(nullArray, RunInTransaction(protocol, "BZPOPMIN", "itx:z", "0"));
        Assert.Equal(nullArray, RunInTransaction(protocol, "BZPOPMAX", "itx:z", "itx:y", "0"));
        Assert.Equal(nullArray, RunInTransaction(protocol, "BZMPOP", "0", "1", "itx:z", "MAX", "COUNT", "2"));
        Assert.Equal(":1\r\n", RunInTransaction(protocol, "ZADD", "itx:z", "1", "a"));
        string score = protocol == 2 ? "$1\r\n1\r\n" : ",1\r\n";
        Assert.Equal("*3\r\n$5\r\nitx:z\r\n$1\r\na\r\n" + score, RunInTransaction(protocol, "BZPOPMAX", "itx:y", "itx:z", "0"));
        Assert.Equal(0, _fixture.Server.State.Keyspace.Blocking.BlockedClients);
    }

    [Fact]
    public async Task DisconnectedWaiterIsForgottenAndTheNextOneGetsTheMember()
    {
        await using var admin = await _fixture.ConnectAsync();
        var first = await _fixture.ConnectAsync();
        await using var second = await _fixture.ConnectAsync();
        await first.WriteCommandAsync("BZPOPMIN", "dc:z", "0");
        await WaitForBlockedAsync(admin, 1);
        await second.WriteCommandAsync("BZMPOP", "0", "1", "dc:z", "MAX");
        await WaitForBlockedAsync(admin, 2);
        await first.DisposeAsync();
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":2", "ZADD", "dc:z", "1", "lo", "2", "hi");
        Assert.Equal("*[$dc:z, *[*[$hi, $2]]]", (await second.ReadReplyAsync(Deadline)).ToString());
        await admin.Expect("*[$lo]", "ZRANGE", "dc:z", "0", "-1");
    }

    [Fact]
    public async Task ClientUnblockTimeoutAndError()
    {
        await using var admin = await _fixture.ConnectAsync();
        await using var c = await _fixture.ConnectAsync();
        string id = (await c.SendAsync("CLIENT", "ID")).Integer.ToString(CultureInfo.InvariantCulture);

        await c.WriteCommandAsync("BZPOPMIN", "ub:z", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "CLIENT", "UNBLOCK", id);
        Assert.Equal("(nil-array)", (await c.ReadReplyAsync(Deadline)).ToString());

        await c.WriteCommandAsync("BZMPOP", "0", "1", "ub:z", "MIN");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "CLIENT", "UNBLOCK", id, "ERROR");
        Assert.Equal("-UNBLOCKED client unblocked via CLIENT UNBLOCK", (await c.ReadReplyAsync(Deadline)).ToString());

        await c.SendAsync("HELLO", "3");
        await c.WriteCommandAsync("BZPOPMAX", "ub:z", "0");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "CLIENT", "UNBLOCK", id, "TIMEOUT");
        Assert.Equal("(null)", (await c.ReadReplyAsync(Deadline)).ToString());
        await c.Expect("+PONG", "PING");
        await admin.Expect(":0", "CLIENT", "UNBLOCK", id);
    }

    /// <summary>Runs one command through its handler with <see cref="CommandContext.InTransaction"/> set; returns the raw reply.</summary>
    private string RunInTransaction(int protocol, params string[] args)
    {
        var state = _fixture.Server.State;
        var output = new ArrayBufferWriter<byte>();
        var session = new ClientSession(-1, "test", "test", 0) { Protocol = protocol };
        var c = new CommandContext(state, session, new RespWriter(output, protocol)) { InTransaction = true };
        var data = new List<byte>();
        var ranges = new ArgRangeList();
        foreach (string arg in args)
        {
            ranges.Add(new ArgRange(data.Count, arg.Length));
            data.AddRange(Encoding.UTF8.GetBytes(arg));
        }

        c.SetArguments(data.ToArray(), ranges, 0, ranges.Count);
        c.Command = state.Commands.Find(args[0])!;
        lock (state.Keyspace.Lock)
        {
            c.Now = state.Keyspace.NowMilliseconds;
            c.Command.Handler!(c);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Waits until <paramref name="count"/> clients are blocked (INFO blocked_clients), with a deadline.</summary>
    private static async Task WaitForBlockedAsync(RespTestClient admin, int count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var info = (await admin.SendAsync("INFO", "clients")).Text ?? "";
            int at = info.IndexOf("blocked_clients:", StringComparison.Ordinal);
            int end = info.IndexOf('\r', at);
            int blocked = int.Parse(info[(at + 16)..end], CultureInfo.InvariantCulture);
            if (blocked == count)
            {
                return;
            }

            Assert.True(watch.Elapsed < Deadline, $"expected {count} blocked clients, INFO says {blocked}");
            await Task.Delay(5);
        }
    }
}
