using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// MULTI, EXEC, DISCARD, WATCH and UNWATCH against the in-process server, on a clock the tests move.
/// Expected replies are redis-server 7.0.15's (checked by hand and by TransactionCompatTests).
/// </summary>
public sealed class TransactionTests : IClassFixture<ExpireCommandsTests.ManualClockServer>
{
    private readonly ExpireCommandsTests.ManualClockServer _server;

    public TransactionTests(ExpireCommandsTests.ManualClockServer server) => _server = server;

    [Fact]
    public async Task QueuedCommandsRunAtExecAndRunTimeErrorsDoNotStopTheRest()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("DEL", "tx:a");
        Assert.Equal("+OK", (await c.SendAsync("MULTI")).ToString());
        Assert.Equal("+QUEUED", (await c.SendAsync("INCR", "tx:a")).ToString());
        Assert.Equal("+QUEUED", (await c.SendAsync("LPUSH", "tx:a", "x")).ToString());
        Assert.Equal("+QUEUED", (await c.SendAsync("INCR", "tx:a")).ToString());
        Assert.Equal("*[:1, -WRONGTYPE Operation against a key holding the wrong kind of value, :2]", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("$2", (await c.SendAsync("GET", "tx:a")).ToString());
    }

    [Fact]
    public async Task ErrorsWhileQueuingAbortTheExec()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "tx:q", "1");
        await c.SendAsync("MULTI");
        await c.SendAsync("SET", "tx:q", "2");
        Assert.Equal("-ERR wrong number of arguments for 'set' command", (await c.SendAsync("SET", "tx:q")).ToString());
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("$1", (await c.SendAsync("GET", "tx:q")).ToString());

        await c.SendAsync("MULTI");
        Assert.StartsWith("-ERR unknown command 'nosuch'", (await c.SendAsync("nosuch", "x")).ToString());
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", (await c.SendAsync("EXEC")).ToString());

        await c.SendAsync("MULTI");
        Assert.Equal("-ERR unknown subcommand 'foo'. Try CONFIG HELP.", (await c.SendAsync("CONFIG", "foo")).ToString());
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("-ERR EXEC without MULTI", (await c.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task MisuseGetsRedisErrorsWithoutDoomingTheTransaction()
    {
        await using var c = await _server.ConnectAsync();
        Assert.Equal("-ERR EXEC without MULTI", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("-ERR DISCARD without MULTI", (await c.SendAsync("DISCARD")).ToString());
        await c.SendAsync("MULTI");
        Assert.Equal("-ERR MULTI calls can not be nested", (await c.SendAsync("MULTI")).ToString());
        Assert.Equal("-ERR WATCH inside MULTI is not allowed", (await c.SendAsync("WATCH", "k")).ToString());
        Assert.Equal("*[]", (await c.SendAsync("EXEC")).ToString());

        // An arity error, even of DISCARD, is a rejected command: it dooms the transaction.
        await c.SendAsync("MULTI");
        Assert.Equal("-ERR wrong number of arguments for 'discard' command", (await c.SendAsync("DISCARD", "x")).ToString());
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.", (await c.SendAsync("EXEC")).ToString());

        // A rejected EXEC itself discards the transaction (Redis's execCommandAbort).
        await c.SendAsync("MULTI");
        await c.SendAsync("SET", "tx:m", "1");
        Assert.Equal("-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command", (await c.SendAsync("EXEC", "x")).ToString());
        Assert.Equal("-ERR EXEC without MULTI", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("(nil)", (await c.SendAsync("GET", "tx:m")).ToString());
    }

    [Fact]
    public async Task DiscardDropsTheQueueAndResetEndsTheTransaction()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("DEL", "tx:d");
        await c.SendAsync("MULTI");
        await c.SendAsync("SET", "tx:d", "1");
        Assert.Equal("+OK", (await c.SendAsync("DISCARD")).ToString());
        Assert.Equal("(nil)", (await c.SendAsync("GET", "tx:d")).ToString());

        await c.SendAsync("MULTI");
        await c.SendAsync("SET", "tx:d", "1");
        Assert.Equal("+RESET", (await c.SendAsync("RESET")).ToString());
        Assert.Equal("-ERR EXEC without MULTI", (await c.SendAsync("EXEC")).ToString());
        Assert.Equal("(nil)", (await c.SendAsync("GET", "tx:d")).ToString());
    }

    [Fact]
    public async Task QueuedArgumentsAreCopiedOutOfTheReceiveBuffer()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("MULTI");
        var big = new string('v', 100_000);
        for (int i = 0; i < 50; i++)
        {
            await c.WriteCommandAsync("SET", "tx:copy:" + i, big + i);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal("+QUEUED", (await c.ReadReplyAsync()).ToString());
        }

        var exec = await c.SendAsync("EXEC");
        Assert.Equal(50, exec.Items!.Count);
        for (int i = 0; i < 50; i += 7)
        {
            Assert.Equal(big + i, (await c.SendAsync("GET", "tx:copy:" + i)).Text);
        }
    }

    [Fact]
    public async Task BlockingCommandsInsideMultiAnswerAsOnATimeout()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("DEL", "tx:nolist");
        await c.SendAsync("MULTI");
        await c.SendAsync("BLPOP", "tx:nolist", "0");
        await c.SendAsync("BLMOVE", "tx:nolist", "tx:other", "LEFT", "RIGHT", "0");
        Assert.Equal("*[(nil-array), (nil)]", (await c.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task ExecRepliesFollowAHelloInsideTheTransaction()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("DEL", "tx:nil");
        await c.SendAsync("MULTI");
        await c.SendAsync("HELLO", "3");
        await c.SendAsync("GET", "tx:nil");
        var exec = await c.SendAsync("EXEC");
        Assert.Equal('*', exec.Type);
        Assert.Equal('%', exec.Items![0].Type);
        Assert.Equal('_', exec.Items[1].Type);

        // RESP3: a failed WATCH answers the null type.
        await c.SendAsync("WATCH", "tx:nil");
        await using var other = await _server.ConnectAsync();
        await other.SendAsync("SET", "tx:nil", "1");
        await c.SendAsync("MULTI");
        Assert.Equal('_', (await c.SendAsync("EXEC")).Type);
    }

    [Fact]
    public async Task AWriteByAnotherClientFailsTheExec()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        await a.SendAsync("SET", "tx:w", "1");
        Assert.Equal("+OK", (await a.SendAsync("WATCH", "tx:w", "tx:w2")).ToString());
        Assert.Equal(":2", (await b.SendAsync("INCR", "tx:w")).ToString());
        await a.SendAsync("MULTI");
        await a.SendAsync("SET", "tx:w", "100");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
        Assert.Equal("$2", (await a.SendAsync("GET", "tx:w")).ToString());

        // Watches end with EXEC: the next transaction runs.
        await b.SendAsync("INCR", "tx:w");
        await a.SendAsync("MULTI");
        await a.SendAsync("SET", "tx:w", "100");
        Assert.Equal("*[+OK]", (await a.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task UntouchedWatchesLetTheExecRun()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        await a.SendAsync("SET", "tx:u", "1");
        await a.SendAsync("WATCH", "tx:u");
        await b.SendAsync("GET", "tx:u");
        await b.SendAsync("SET", "tx:other", "1");
        await b.SendAsync("SADD", "tx:u:set", "m"); // another key
        await a.SendAsync("MULTI");
        await a.SendAsync("INCR", "tx:u");
        Assert.Equal("*[:2]", (await a.SendAsync("EXEC")).ToString());

        // A write that changes nothing (DEL of a missing key, SADD of a member already there) touches nothing.
        await a.SendAsync("WATCH", "tx:missing", "tx:u:set");
        await b.SendAsync("DEL", "tx:missing");
        await b.SendAsync("SADD", "tx:u:set", "m");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task UnwatchAndDiscardForgetTheWatches()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        await a.SendAsync("WATCH", "tx:f");
        await a.SendAsync("UNWATCH");
        await b.SendAsync("SET", "tx:f", "1");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());

        await a.SendAsync("WATCH", "tx:f");
        await a.SendAsync("MULTI");
        await a.SendAsync("DISCARD");
        await b.SendAsync("SET", "tx:f", "2");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());

        // UNWATCH also clears a verdict already reached.
        await a.SendAsync("WATCH", "tx:f");
        await b.SendAsync("SET", "tx:f", "3");
        await a.SendAsync("UNWATCH");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task WatchIsPerDatabase()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        await a.SendAsync("WATCH", "tx:db");
        await b.SendAsync("SELECT", "1");
        await b.SendAsync("SET", "tx:db", "1");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());

        // Watched in db 1, changed in db 1 while the watcher has gone back to db 0.
        await a.SendAsync("SELECT", "1");
        await a.SendAsync("WATCH", "tx:db");
        await a.SendAsync("SELECT", "0");
        await b.SendAsync("SET", "tx:db", "2");
        await a.SendAsync("MULTI");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task TouchesFromEveryKindOfWrite()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        object[][] setups =
        [
            ["RPUSH", "tx:t", "a", "b"], ["HSET", "tx:t", "f", "v"], ["SADD", "tx:t", "m", "n"],
            ["ZADD", "tx:t", "1", "m", "2", "n"], ["SET", "tx:t", "v"],
        ];
        object[][] writes =
        [
            ["LPOP", "tx:t"], ["HDEL", "tx:t", "f"], ["SREM", "tx:t", "m"], ["ZINCRBY", "tx:t", "1", "m"], ["APPEND", "tx:t", "x"],
            ["EXPIRE", "tx:t", "100"], ["RENAME", "tx:t", "tx:t2"], ["MOVE", "tx:t", "5"], ["UNLINK", "tx:t"],
        ];
        for (int i = 0; i < writes.Length; i++)
        {
            await b.SendAsync("FLUSHDB");
            await b.SendAsync(setups[i % setups.Length]);
            await a.SendAsync("WATCH", "tx:t");
            var reply = await b.SendAsync(writes[i]);
            Assert.False(reply.IsError, $"{writes[i][0]}: {reply}");
            await a.SendAsync("MULTI");
            Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
        }

        // The destination side of RENAME, COPY and the *STORE commands.
        foreach (object[] write in new object[][] { ["RENAME", "tx:src", "tx:t"], ["COPY", "tx:src", "tx:t"], ["SUNIONSTORE", "tx:t", "tx:src"] })
        {
            await b.SendAsync("FLUSHDB");
            await b.SendAsync("SADD", "tx:src", "m");
            await a.SendAsync("WATCH", "tx:t");
            await b.SendAsync(write);
            await a.SendAsync("MULTI");
            Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
        }
    }

    [Fact]
    public async Task FlushAndSwapdbTouchWatchedKeysThatExist()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        await a.SendAsync("SELECT", "2");
        await b.SendAsync("SELECT", "2");
        await b.SendAsync("FLUSHDB");

        // Flushing a database where the watched key does not exist changes nothing for it.
        await a.SendAsync("WATCH", "tx:fl");
        await b.SendAsync("SET", "tx:fl:other", "1");
        await b.SendAsync("FLUSHDB");
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());

        await b.SendAsync("SET", "tx:fl", "1");
        await a.SendAsync("WATCH", "tx:fl");
        await b.SendAsync("FLUSHDB");
        await a.SendAsync("MULTI");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());

        // SWAPDB: the key appears in the watched database.
        await b.SendAsync("SELECT", "3");
        await b.SendAsync("FLUSHDB");
        await b.SendAsync("SET", "tx:fl", "from-3");
        await a.SendAsync("WATCH", "tx:fl");
        Assert.Equal("+OK", (await b.SendAsync("SWAPDB", "2", "3")).ToString());
        await a.SendAsync("MULTI");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
        await b.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task AWatchedKeyThatExpiresFailsTheExec()
    {
        await using var a = await _server.ConnectAsync();
        await a.SendAsync("SET", "tx:exp", "1", "PX", "1000");
        await a.SendAsync("WATCH", "tx:exp");
        _server.Clock.Advance(TimeSpan.FromSeconds(2));
        await a.SendAsync("MULTI");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());

        // A key already expired when watched (Redis 7.0): its lazy deletion is no change…
        await a.SendAsync("SET", "tx:exp2", "1", "PX", "1000");
        _server.Clock.Advance(TimeSpan.FromSeconds(2));
        await a.SendAsync("WATCH", "tx:exp2");
        Assert.Equal("(nil)", (await a.SendAsync("GET", "tx:exp2")).ToString());
        await a.SendAsync("MULTI");
        Assert.Equal("*[]", (await a.SendAsync("EXEC")).ToString());

        // …but setting it again is.
        await a.SendAsync("SET", "tx:exp3", "1", "PX", "1000");
        _server.Clock.Advance(TimeSpan.FromSeconds(2));
        await a.SendAsync("WATCH", "tx:exp3");
        await using var b = await _server.ConnectAsync();
        await b.SendAsync("SET", "tx:exp3", "2");
        await a.SendAsync("MULTI");
        Assert.Equal("(nil-array)", (await a.SendAsync("EXEC")).ToString());
    }

    [Fact]
    public async Task ClientListShowsTheTransactionState()
    {
        await using var a = await _server.ConnectAsync();
        await using var b = await _server.ConnectAsync();
        Assert.Contains(" flags=N ", (await a.SendAsync("CLIENT", "INFO")).Text);
        Assert.Contains(" multi=-1 ", (await a.SendAsync("CLIENT", "INFO")).Text);
        await a.SendAsync("WATCH", "tx:cl");
        await b.SendAsync("SET", "tx:cl", "1");
        Assert.Contains(" flags=d ", (await a.SendAsync("CLIENT", "INFO")).Text);
        await a.SendAsync("MULTI");
        await a.SendAsync("GET", "tx:cl");
        await a.SendAsync("GET", "tx:cl");
        string? list = (await b.SendAsync("CLIENT", "LIST")).Text;
        Assert.Contains(" flags=xd ", list);
        Assert.Contains(" multi=2 ", list);
        await a.SendAsync("DISCARD");
        Assert.Contains(" flags=N ", (await a.SendAsync("CLIENT", "INFO")).Text);
    }

    [Fact]
    public async Task AClosedWatcherIsForgotten()
    {
        await using var b = await _server.ConnectAsync();
        for (int i = 0; i < 3; i++)
        {
            var a = await _server.ConnectAsync();
            await a.SendAsync("WATCH", "tx:gone");
            await a.DisposeAsync();
        }

        // The connection's end unwatches (under the keyspace lock, once the server sees the close).
        var keyspace = _server.Server.State.Keyspace;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (WatchedKeyCount(keyspace) != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, WatchedKeyCount(keyspace));
        Assert.Equal("+OK", (await b.SendAsync("SET", "tx:gone", "1")).ToString());
    }

    private static int WatchedKeyCount(Kv.Server.Storage.Keyspace keyspace)
    {
        lock (keyspace.Lock)
        {
            return keyspace.Databases[0].Watched.Count;
        }
    }
}
