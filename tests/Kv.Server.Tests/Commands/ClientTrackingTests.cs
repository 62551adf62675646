using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// Client-side caching over real sockets: CLIENT TRACKING in the default mode, BCAST with prefixes,
/// OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, REDIRECT to a RESP2 subscriber or a RESP3 client,
/// broken redirects, flushes, expiry, the tracking-table-max-keys limit, and introspection.
/// A missing invalidation is checked with PING: whatever was queued for a client before its PING
/// is written before PING's reply.
/// </summary>
public sealed class ClientTrackingTests : IClassFixture<KvServerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly KvServerFixture _fixture;

    public ClientTrackingTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task DefaultModeInvalidatesEachReaderOnceWhenAnotherClientWrites()
    {
        await using var tracker = await Resp3Async();
        await using var other = await Resp3Async();
        await using var writer = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "TRACKING", "on")).ToString());
        Assert.Equal("+OK", (await other.SendAsync("CLIENT", "TRACKING", "on")).ToString());
        await writer.SendAsync("SET", "dm:a", "1");
        Assert.Equal("$1", (await tracker.SendAsync("GET", "dm:a")).ToString());
        Assert.Equal("*[(null), (null)]", (await tracker.SendAsync("MGET", "dm:b", "dm:c")).ToString());
        Assert.Equal(":0", (await other.SendAsync("EXISTS", "dm:b")).ToString());

        await writer.SendAsync("SET", "dm:a", "2");
        Assert.Equal(">[$invalidate, *[$dm:a]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        await writer.SendAsync("MSET", "dm:b", "1", "dm:c", "2");
        Assert.Equal(">[$invalidate, *[$dm:b]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$dm:c]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$dm:b]]", (await other.ReadReplyAsync(Deadline)).ToString());

        // Forgotten after one invalidation: a second write sends nothing until the key is read again.
        await writer.SendAsync("DEL", "dm:a", "dm:b");
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());
        Assert.Equal("+PONG", (await other.SendAsync("PING")).ToString());

        // Writes of any type and expiry commands count; a read that fails (WRONGTYPE) still remembers the key.
        await writer.SendAsync("HSET", "dm:h", "f", "v");
        Assert.StartsWith("-WRONGTYPE", (await tracker.SendAsync("GET", "dm:h")).ToString());
        await writer.SendAsync("HSET", "dm:h", "f", "w");
        Assert.Equal(">[$invalidate, *[$dm:h]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        await tracker.SendAsync("HGET", "dm:h", "f");
        await writer.SendAsync("PEXPIRE", "dm:h", "100000");
        Assert.Equal(">[$invalidate, *[$dm:h]]", (await tracker.ReadReplyAsync(Deadline)).ToString());

        // After CLIENT TRACKING OFF nothing more arrives, even for keys read before.
        await tracker.SendAsync("GET", "dm:c");
        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "TRACKING", "off")).ToString());
        await writer.SendAsync("SET", "dm:c", "3");
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task OwnWritesAreInvalidatedAfterTheReplyUnlessNoLoop()
    {
        await using var tracker = await Resp3Async();
        await tracker.SendAsync("CLIENT", "TRACKING", "on");
        await tracker.SendAsync("GET", "ow:k");
        Assert.Equal("+OK", (await tracker.SendAsync("SET", "ow:k", "1")).ToString());
        Assert.Equal(">[$invalidate, *[$ow:k]]", (await tracker.ReadReplyAsync(Deadline)).ToString());

        // A flush by the tracking client itself: the null invalidation follows the +OK too.
        Assert.Equal("+OK", (await tracker.SendAsync("FLUSHDB")).ToString());
        Assert.Equal(">[$invalidate, (null)]", (await tracker.ReadReplyAsync(Deadline)).ToString());

        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "TRACKING", "on", "NOLOOP")).ToString());
        await tracker.SendAsync("GET", "ow:k");
        await tracker.SendAsync("SET", "ow:k", "2");
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());

        // NOLOOP skips only the client's own writes.
        await tracker.SendAsync("GET", "ow:k");
        await using var writer = await _fixture.ConnectAsync();
        await writer.SendAsync("SET", "ow:k", "3");
        Assert.Equal(">[$invalidate, *[$ow:k]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task BroadcastSendsMatchingKeysOncePerBatchInKeyOrder()
    {
        await using var prefixed = await Resp3Async();
        await using var all = await Resp3Async();
        await using var writer = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await prefixed.SendAsync("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc:user:", "PREFIX", "bc:a")).ToString());
        Assert.Equal("+OK", (await all.SendAsync("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "bc:")).ToString());

        await writer.SendAsync("MSET", "bc:user:2", "1", "bc:user:1", "2", "bc:b", "3", "bc:abc", "4");
        Assert.Equal(">[$invalidate, *[$bc:abc]]", (await prefixed.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$bc:user:1, $bc:user:2]]", (await prefixed.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$bc:abc, $bc:b, $bc:user:1, $bc:user:2]]", (await all.ReadReplyAsync(Deadline)).ToString());

        // One pipelined batch: one message per prefix, each key once.
        await writer.WriteRawAsync([.. RespTestClient.Encode("SET", "bc:user:9", "1"), .. RespTestClient.Encode("DEL", "bc:user:9"), .. RespTestClient.Encode("SET", "bc:user:8", "1")]);
        for (int i = 0; i < 3; i++)
        {
            await writer.ReadReplyAsync(Deadline);
        }

        Assert.Equal(">[$invalidate, *[$bc:user:8, $bc:user:9]]", (await prefixed.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$bc:user:8, $bc:user:9]]", (await all.ReadReplyAsync(Deadline)).ToString());

        // NOLOOP: the client's own changes are left out; nothing at all when only its own keys changed.
        await all.SendAsync("MSET", "bc:x", "1", "bc:user:3", "2");
        Assert.Equal(">[$invalidate, *[$bc:user:3]]", (await prefixed.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("+PONG", (await all.SendAsync("PING")).ToString());

        // A BCAST client without NOLOOP gets its own changes after its reply; keys outside every prefix are not announced.
        Assert.Equal("+OK", (await prefixed.SendAsync("SET", "bc:user:4", "5")).ToString());
        Assert.Equal(">[$invalidate, *[$bc:user:4]]", (await prefixed.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$bc:user:4]]", (await all.ReadReplyAsync(Deadline)).ToString());
        await writer.SendAsync("SET", "zz:outside", "1");
        Assert.Equal("+PONG", (await prefixed.SendAsync("PING")).ToString());

        Assert.Equal("*[$bc:a, $bc:user:]", (await prefixed.SendAsync("CLIENT", "TRACKINGINFO")).Items![5].ToString());
        Assert.Equal("+OK", (await prefixed.SendAsync("CLIENT", "TRACKING", "off")).ToString());
        await writer.SendAsync("SET", "bc:user:5", "1");
        Assert.Equal(">[$invalidate, *[$bc:user:5]]", (await all.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("+PONG", (await prefixed.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task OptInAndOptOutFollowClientCachingForOneCommandOrTransaction()
    {
        await using var tracker = await Resp3Async();
        await using var writer = await _fixture.ConnectAsync();
        await tracker.SendAsync("CLIENT", "TRACKING", "on", "OPTIN");
        await tracker.SendAsync("GET", "oi:a");
        await writer.SendAsync("SET", "oi:a", "1");
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());

        // CACHING YES covers the next command only; CLIENT subcommands in between keep it.
        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "CACHING", "yes")).ToString());
        Assert.Contains("caching-yes", (await tracker.SendAsync("CLIENT", "TRACKINGINFO")).ToString(), StringComparison.Ordinal);
        await tracker.SendAsync("GET", "oi:a");
        await tracker.SendAsync("GET", "oi:b");
        await writer.SendAsync("MSET", "oi:a", "2", "oi:b", "2");
        Assert.Equal(">[$invalidate, *[$oi:a]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());

        // …or the whole transaction that follows.
        await tracker.SendAsync("CLIENT", "CACHING", "yes");
        await tracker.SendAsync("MULTI");
        await tracker.SendAsync("GET", "oi:a");
        await tracker.SendAsync("GET", "oi:b");
        Assert.Equal("*[$2, $2]", (await tracker.SendAsync("EXEC")).ToString());
        await writer.SendAsync("MSET", "oi:a", "3", "oi:b", "3");
        Assert.Equal(">[$invalidate, *[$oi:a]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$oi:b]]", (await tracker.ReadReplyAsync(Deadline)).ToString());

        // OPTOUT: everything is remembered except the command after CACHING NO.
        await tracker.SendAsync("CLIENT", "TRACKING", "off");
        await tracker.SendAsync("CLIENT", "TRACKING", "on", "OPTOUT");
        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "CACHING", "no")).ToString());
        await tracker.SendAsync("GET", "oi:a");
        await tracker.SendAsync("GET", "oi:b");
        await writer.SendAsync("MSET", "oi:a", "4", "oi:b", "4");
        Assert.Equal(">[$invalidate, *[$oi:b]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task Resp2RedirectDeliversMessagesOnTheInvalidateChannelToASubscriber()
    {
        await using var target = await _fixture.ConnectAsync();
        await using var tracker = await _fixture.ConnectAsync();
        await using var writer = await _fixture.ConnectAsync();
        long targetId = (await target.SendAsync("CLIENT", "ID")).Integer;
        Assert.Equal("+OK", (await tracker.SendAsync("CLIENT", "TRACKING", "on", "REDIRECT", targetId)).ToString());
        Assert.Equal($":{targetId}", (await tracker.SendAsync("CLIENT", "GETREDIR")).ToString());
        Assert.Contains($"redir={targetId} ", (await tracker.SendAsync("CLIENT", "INFO")).ToString(), StringComparison.Ordinal);

        // A RESP2 target outside pub/sub mode cannot receive anything (the key is forgotten anyway).
        await tracker.SendAsync("GET", "rd:a");
        await writer.SendAsync("SET", "rd:a", "1");
        Assert.Equal("+PONG", (await target.SendAsync("PING")).ToString());

        // Any subscription puts it in pub/sub mode, as in Redis; the message names __redis__:invalidate.
        await target.SendAsync("SUBSCRIBE", "rd:other");
        await tracker.SendAsync("GET", "rd:a");
        await writer.SendAsync("SET", "rd:a", "2");
        Assert.Equal("*[$message, $__redis__:invalidate, *[$rd:a]]", (await target.ReadReplyAsync(Deadline)).ToString());
        await tracker.SendAsync("GET", "rd:a");
        await tracker.SendAsync("SET", "rd:a", "3");
        Assert.Equal("*[$message, $__redis__:invalidate, *[$rd:a]]", (await target.ReadReplyAsync(Deadline)).ToString());

        // A flush is a RESP2 null (the tracking client's protocol).
        await writer.SendAsync("FLUSHALL");
        Assert.Equal("*[$message, $__redis__:invalidate, (nil)]", (await target.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task Resp3RedirectTargetThatLeavesBreaksTheRedirect()
    {
        await using var tracker = await Resp3Async();
        await using var writer = await _fixture.ConnectAsync();
        long trackerId = (await tracker.SendAsync("CLIENT", "ID")).Integer;
        long targetId;
        await using (var target = await Resp3Async())
        {
            targetId = (await target.SendAsync("CLIENT", "ID")).Integer;
            await tracker.SendAsync("CLIENT", "TRACKING", "on", "REDIRECT", targetId);
            await tracker.SendAsync("GET", "rb:a");
            await writer.SendAsync("SET", "rb:a", "1");
            Assert.Equal(">[$invalidate, *[$rb:a]]", (await target.ReadReplyAsync(Deadline)).ToString());
            await tracker.SendAsync("GET", "rb:a");
            Assert.Equal("+OK", (await target.SendAsync("QUIT")).ToString());
            Assert.True(await target.IsClosedByServerAsync(Deadline));
        }

        // The target leaves the client registry once its connection ends; wait for that, then write.
        await WaitForAsync(async () => !(await writer.SendAsync("CLIENT", "LIST", "ID", targetId)).ToString().Contains($"id={targetId} ", StringComparison.Ordinal));
        await writer.SendAsync("SET", "rb:a", "2");
        Assert.Equal($">[$tracking-redir-broken, :{targetId}]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Contains("flags=tR ", (await writer.SendAsync("CLIENT", "LIST", "ID", trackerId)).ToString(), StringComparison.Ordinal);
        Assert.Equal($"%[$flags, ~[$on, $broken_redirect], $redirect, :{targetId}, $prefixes, *[]]", (await tracker.SendAsync("CLIENT", "TRACKINGINFO")).ToString());

        // Every later invalidation reports it again, a flush too.
        await tracker.SendAsync("GET", "rb:b");
        await writer.SendAsync("FLUSHALL");
        Assert.Equal($">[$tracking-redir-broken, :{targetId}]", (await tracker.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task FlushSendsNullToEveryTrackingClientAndEmptiesTheTable()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var tracker = await RespTestClient.ConnectAsync(server.Port);
        await using var broadcast = await RespTestClient.ConnectAsync(server.Port);
        await using var writer = await RespTestClient.ConnectAsync(server.Port);
        await tracker.SendAsync("HELLO", "3");
        await broadcast.SendAsync("HELLO", "3");
        await tracker.SendAsync("CLIENT", "TRACKING", "on");
        await broadcast.SendAsync("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "fl:");
        await tracker.SendAsync("MGET", "fl:a", "fl:b");
        Assert.Contains("tracking_total_keys:2", (await writer.SendAsync("INFO", "stats")).Text, StringComparison.Ordinal);

        // FLUSHDB of another database still invalidates everything: the table is global.
        await writer.SendAsync("SELECT", "3");
        await writer.SendAsync("FLUSHDB");
        Assert.Equal(">[$invalidate, (null)]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, (null)]", (await broadcast.ReadReplyAsync(Deadline)).ToString());
        Assert.Contains("tracking_total_keys:0", (await writer.SendAsync("INFO", "stats")).Text, StringComparison.Ordinal);
        await writer.SendAsync("SET", "fl:a", "1");
        Assert.Equal("+PONG", (await tracker.SendAsync("PING")).ToString());
        Assert.Equal(">[$invalidate, *[$fl:a]]", (await broadcast.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task OptionErrorsMatchRedis()
    {
        await using var c = await _fixture.ConnectAsync();
        long id = (await c.SendAsync("CLIENT", "ID")).Integer;
        async Task Expect(string expected, params object[] args) => Assert.Equal(expected, (await c.SendAsync(args)).ToString());

        await Expect("-ERR You can't specify both OPTIN mode and OPTOUT mode", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT");
        await Expect("-ERR OPTIN and OPTOUT are not compatible with BCAST", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN");
        await Expect("-ERR PREFIX option requires BCAST mode to be enabled", "CLIENT", "TRACKING", "on", "PREFIX", "x");
        await Expect("-ERR syntax error", "CLIENT", "TRACKING", "on", "FOO");
        await Expect("-ERR syntax error", "CLIENT", "TRACKING", "maybe");
        await Expect("-ERR syntax error", "CLIENT", "TRACKING", "on", "REDIRECT");
        await Expect("-ERR value is not an integer or out of range", "CLIENT", "TRACKING", "on", "REDIRECT", "abc");
        await Expect("-ERR The client ID you want redirect to does not exist", "CLIENT", "TRACKING", "on", "REDIRECT", "0");
        await Expect("-ERR A client can only redirect to a single other client", "CLIENT", "TRACKING", "on", "REDIRECT", id, "REDIRECT", id);
        await Expect("-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a");
        await Expect("-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled", "CLIENT", "CACHING", "yes");
        await Expect("-ERR wrong number of arguments for 'client|caching' command", "CLIENT", "CACHING");
        await Expect(":-1", "CLIENT", "GETREDIR");

        await Expect("+OK", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "x");
        await Expect("-ERR Prefix 'bz' overlaps with an existing prefix 'b'. Prefixes for a single client must not overlap.", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bz");
        await Expect("-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.", "CLIENT", "TRACKING", "on");
        await Expect("+OK", "CLIENT", "TRACKING", "on", "BCAST");
        await Expect("*[$flags, *[$on, $bcast], $redirect, :0, $prefixes, *[$, $b, $x]]", "CLIENT", "TRACKINGINFO");
        await Expect("+OK", "CLIENT", "TRACKING", "off");
        await Expect("*[$flags, *[$off], $redirect, :-1, $prefixes, *[]]", "CLIENT", "TRACKINGINFO");

        await Expect("+OK", "CLIENT", "TRACKING", "on", "OPTIN");
        await Expect("-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.", "CLIENT", "CACHING", "no");
        await Expect("-ERR syntax error", "CLIENT", "CACHING", "maybe");
        await Expect("-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.", "CLIENT", "TRACKING", "on", "OPTOUT");
        await Expect("+OK", "CLIENT", "TRACKING", "off");
        await Expect("+OK", "CLIENT", "TRACKING", "on", "OPTOUT");
        await Expect("-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.", "CLIENT", "CACHING", "yes");
    }

    [Fact]
    public async Task CountersFlagsResetAndDisconnect()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        await using var reader = await RespTestClient.ConnectAsync(server.Port);
        await using var broadcast = await RespTestClient.ConnectAsync(server.Port);
        long readerId = (await reader.SendAsync("CLIENT", "ID")).Integer;
        await reader.SendAsync("CLIENT", "TRACKING", "on");
        await reader.SendAsync("MGET", "cf:a", "cf:b", "cf:a");
        await broadcast.SendAsync("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p1", "PREFIX", "p2");
        await admin.SendAsync("CLIENT", "TRACKING", "on");
        await admin.SendAsync("GET", "cf:a");

        string info = (await admin.SendAsync("INFO")).Text!;
        Assert.Contains("tracking_clients:3\r\n", info, StringComparison.Ordinal);
        Assert.Contains("tracking_total_keys:2\r\n", info, StringComparison.Ordinal);
        Assert.Contains("tracking_total_items:3\r\n", info, StringComparison.Ordinal);
        Assert.Contains("tracking_total_prefixes:2\r\n", info, StringComparison.Ordinal);
        string list = (await admin.SendAsync("CLIENT", "LIST")).Text!;
        Assert.Contains($"id={readerId} ", list, StringComparison.Ordinal);
        Assert.Contains("flags=tB ", list, StringComparison.Ordinal);
        Assert.Contains(" redir=0 ", list, StringComparison.Ordinal);

        // RESET turns tracking off; a disconnect too, and the client's prefixes go with it.
        Assert.Equal("+RESET", (await reader.SendAsync("RESET")).ToString());
        Assert.Contains("flags=N ", (await reader.SendAsync("CLIENT", "INFO")).Text, StringComparison.Ordinal);
        await broadcast.DisposeAsync();
        await WaitForAsync(async () => (await admin.SendAsync("INFO", "clients")).Text!.Contains("tracking_clients:1\r\n", StringComparison.Ordinal));
        info = (await admin.SendAsync("INFO", "stats")).Text!;
        Assert.Contains("tracking_total_prefixes:0\r\n", info, StringComparison.Ordinal);

        // Keys of clients that stopped tracking are dropped lazily, when the key changes.
        Assert.Contains("tracking_total_items:3\r\n", info, StringComparison.Ordinal);
        await admin.SendAsync("SET", "cf:a", "1");
        Assert.Contains("tracking_total_items:1\r\n", (await admin.SendAsync("INFO", "stats")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysEvictedBeforeACommandAreInvalidatedAheadOfItsReply()
    {
        // Redis evicts in processCommand, before call(): the invalidation is not held back for the reply.
        await using var server = await KvServerFixture.StartAsync();
        await using var tracker = await RespTestClient.ConnectAsync(server.Port);
        await tracker.SendAsync("HELLO", "3");
        await tracker.SendAsync("CLIENT", "TRACKING", "on");
        string memory = (await tracker.SendAsync("INFO", "memory")).Text!;
        long used = long.Parse(System.Text.RegularExpressions.Regex.Match(memory, @"used_memory:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        await tracker.SendAsync("CONFIG", "SET", "maxmemory-policy", "volatile-random");
        await tracker.SendAsync("CONFIG", "SET", "maxmemory", (used + 100 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await tracker.SendAsync("SETEX", "ev:volatile", "10000", "x");
        await tracker.SendAsync("GET", "ev:volatile");
        await tracker.SendAsync("SETBIT", "ev:big", "1600000", "0");
        Assert.Equal(">[$invalidate, *[$ev:volatile]]", (await tracker.SendAsync("GETBIT", "ev:big", "0")).ToString());
        Assert.Equal(":0", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(":0", (await tracker.SendAsync("EXISTS", "ev:volatile")).ToString());
    }

    [Fact]
    public async Task ServedBlockedCommandGetsItsReplyBeforeTheInvalidationOfItsOwnWrite()
    {
        // Redis serves a blocked client as its current client: the invalidation waits for the reply.
        await using var tracker = await Resp3Async();
        await using var writer = await _fixture.ConnectAsync();
        await writer.SendAsync("RPUSH", "sb:dst", "a");
        await tracker.SendAsync("CLIENT", "TRACKING", "on");
        await tracker.SendAsync("LRANGE", "sb:dst", "0", "-1");
        await tracker.WriteCommandAsync("BLMOVE", "sb:src", "sb:dst", "LEFT", "LEFT", "0");
        await WaitForAsync(async () => (await writer.SendAsync("INFO", "clients")).Text!.Contains("blocked_clients:1\r\n", StringComparison.Ordinal));
        await writer.SendAsync("RPUSH", "sb:src", "foo");
        Assert.Equal("$foo", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$sb:dst]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TrackingTableMaxKeysEvictsWithInvalidations(bool noLoop)
    {
        // Redis trims the table in serverCron, with no current client: a NOLOOP client is told too.
        await using var server = await KvServerFixture.StartAsync();
        await using var tracker = await RespTestClient.ConnectAsync(server.Port);
        await tracker.SendAsync("HELLO", "3");
        await tracker.SendAsync(noLoop ? new object[] { "CLIENT", "TRACKING", "on", "NOLOOP" } : new object[] { "CLIENT", "TRACKING", "on" });
        await tracker.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "2");
        Assert.Equal("*[(null), (null), (null), (null), (null)]", (await tracker.SendAsync("MGET", "mk:1", "mk:2", "mk:3", "mk:4", "mk:5")).ToString());
        var evicted = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 3; i++)
        {
            var push = await tracker.ReadReplyAsync(Deadline);
            Assert.Equal("$invalidate", push.Items![0].ToString());
            evicted.Add(push.Items[1].Items![0].Text!);
        }

        Assert.Equal(3, evicted.Count);
        Assert.Contains("tracking_total_keys:2\r\n", (await tracker.SendAsync("INFO", "stats")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredKeysInvalidateLazilyAndActively()
    {
        var clock = new ManualClock();
        await using var server = await KvServerFixture.StartAsync(["--hz", "100"], clock);
        await using var tracker = await RespTestClient.ConnectAsync(server.Port);
        await using var broadcast = await RespTestClient.ConnectAsync(server.Port);
        await using var writer = await RespTestClient.ConnectAsync(server.Port);
        await tracker.SendAsync("HELLO", "3");
        await broadcast.SendAsync("HELLO", "3");
        await tracker.SendAsync("CLIENT", "TRACKING", "on", "NOLOOP");
        await broadcast.SendAsync("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "ex:");

        // Active expiry (the cron): the reader and the BCAST prefix both hear of it, even with NOLOOP.
        await writer.SendAsync("SET", "ex:a", "1", "PX", "1000");
        Assert.Equal(">[$invalidate, *[$ex:a]]", (await broadcast.ReadReplyAsync(Deadline)).ToString());
        await tracker.SendAsync("GET", "ex:a");
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(">[$invalidate, *[$ex:a]]", (await tracker.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal(">[$invalidate, *[$ex:a]]", (await broadcast.ReadReplyAsync(Deadline)).ToString());

        // An expired key found by the NOLOOP broadcast client's own read still reaches it (nobody changed
        // the key). The cron may get there first: then the push comes before the reply instead of after.
        await writer.SendAsync("CONFIG", "SET", "hz", "1");
        await writer.SendAsync("SET", "ex:b", "1", "PX", "1000");
        Assert.Equal(">[$invalidate, *[$ex:b]]", (await broadcast.ReadReplyAsync(Deadline)).ToString());
        clock.Advance(TimeSpan.FromSeconds(2));
        await broadcast.WriteCommandAsync("GET", "ex:b");
        var frames = new SortedSet<string>(StringComparer.Ordinal) { (await broadcast.ReadReplyAsync(Deadline)).ToString(), (await broadcast.ReadReplyAsync(Deadline)).ToString() };
        Assert.Equal(["(null)", ">[$invalidate, *[$ex:b]]"], frames);
    }

    private async Task<RespTestClient> Resp3Async()
    {
        var client = await _fixture.ConnectAsync();
        Assert.Equal('%', (await client.SendAsync("HELLO", "3")).Type);
        return client;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within the deadline");
            await Task.Delay(10);
        }
    }
}
