using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// Streams over real sockets: entries, trimming by whole nodes, consumer groups, blocking XREAD and
/// XREADGROUP, the generic key commands, and a work queue of 10 consumers that survives one being killed.
/// Expected replies were taken from redis-server 7.0.15.
/// </summary>
public sealed class StreamTests : IClassFixture<KvServerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly KvServerFixture _fixture;

    public StreamTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task EntriesAreAddedReadAndDeletedById()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("$1-1", "XADD", "e:s", "1-1", "a", "1", "b", "2");
        await c.Expect("$1-2", "XADD", "e:s", "1-*", "a", "3", "b", "4");
        await c.Expect("$5-0", "XADD", "e:s", "5", "other", "x");
        await c.Expect("-ERR The ID specified in XADD is equal or smaller than the target stream top item", "XADD", "e:s", "5-0", "a", "1");
        await c.Expect("-ERR The ID specified in XADD must be greater than 0-0", "XADD", "e:s", "0-0", "a", "1");
        await c.Expect("-ERR Invalid stream ID specified as stream command argument", "XADD", "e:s", "1-x", "a", "1");
        await c.Expect("(nil)", "XADD", "e:none", "NOMKSTREAM", "*", "a", "1");
        await c.Expect(":3", "XLEN", "e:s");
        await c.Expect("*[*[$1-1, *[$a, $1, $b, $2]], *[$1-2, *[$a, $3, $b, $4]], *[$5-0, *[$other, $x]]]", "XRANGE", "e:s", "-", "+");
        await c.Expect("*[*[$1-2, *[$a, $3, $b, $4]]]", "XRANGE", "e:s", "(1-1", "(5-0");
        await c.Expect("*[*[$5-0, *[$other, $x]], *[$1-2, *[$a, $3, $b, $4]]]", "XREVRANGE", "e:s", "+", "-", "COUNT", "2");
        await c.Expect("(nil-array)", "XRANGE", "e:s", "-", "+", "COUNT", "0");
        await c.Expect(":1", "XDEL", "e:s", "1-2", "9-9");
        await c.Expect("*[*[$1-1, *[$a, $1, $b, $2]], *[$5-0, *[$other, $x]]]", "XRANGE", "e:s", "-", "+");
        await c.Expect(":2", "XLEN", "e:s");
        await c.Expect("+stream", "TYPE", "e:s");
        await c.Expect("$stream", "OBJECT", "ENCODING", "e:s");
    }

    [Fact]
    public async Task ApproximateTrimmingDropsWholeNodesOnly()
    {
        await using var c = await _fixture.ConnectAsync();
        for (int i = 1; i <= 250; i++)
        {
            await c.SendAsync("XADD", "t:s", i.ToString(CultureInfo.InvariantCulture) + "-1", "f", "v");
        }

        // Nodes hold 100 entries (stream-node-max-entries): keeping at least 120 can drop only the first node.
        await c.Expect(":100", "XTRIM", "t:s", "MAXLEN", "~", "120");
        await c.Expect(":150", "XLEN", "t:s");
        await c.Expect(":30", "XTRIM", "t:s", "MAXLEN", "=", "120");
        await c.Expect("*[*[$131-1, *[$f, $v]]]", "XRANGE", "t:s", "-", "+", "COUNT", "1");
        await c.Expect("$250-2", "XADD", "t:s", "MINID", "~", "200", "250-*", "f", "v");
        await c.Expect(":121", "XLEN", "t:s");
        await c.Expect(":1", "EXISTS", "t:s");
    }

    [Fact]
    public async Task GroupsDeliverAcknowledgeAndReportLag()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "XGROUP", "CREATE", "g:s", "g", "$", "MKSTREAM");
        await c.Expect("-BUSYGROUP Consumer Group name already exists", "XGROUP", "CREATE", "g:s", "g", "$");
        await c.Expect("$1-1", "XADD", "g:s", "1-1", "f", "a");
        await c.Expect("$2-1", "XADD", "g:s", "2-1", "f", "b");
        await c.Expect("*[*[$g:s, *[*[$1-1, *[$f, $a]]]]]", "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "g:s", ">");
        await c.Expect("*[*[$g:s, *[*[$2-1, *[$f, $b]]]]]", "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "g:s", ">");
        await c.Expect("*[:2, $1-1, $2-1, *[*[$alice, $1], *[$bob, $1]]]", "XPENDING", "g:s", "g");
        await c.Expect("*[*[$g:s, *[*[$1-1, *[$f, $a]]]]]", "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "g:s", "0");
        await c.Expect(":1", "XACK", "g:s", "g", "1-1", "1-1");
        await c.Expect("*[$0-0, *[$2-1], *[]]", "XAUTOCLAIM", "g:s", "g", "alice", "0", "0", "JUSTID");
        await c.Expect("*[*[$name, $g, $consumers, :2, $pending, :1, $last-delivered-id, $2-1, $entries-read, :2, $lag, :0]]", "XINFO", "GROUPS", "g:s");
        await c.Expect(":1", "XDEL", "g:s", "2-1");
        await c.Expect("*[$0-0, *[], *[$2-1]]", "XAUTOCLAIM", "g:s", "g", "bob", "0", "0");
        await c.Expect("-NOGROUP No such key 'g:s' or consumer group 'nope' in XREADGROUP with GROUP option", "XREADGROUP", "GROUP", "nope", "c", "STREAMS", "g:s", ">");
        await c.Expect(":1", "XGROUP", "DESTROY", "g:s", "g");
    }

    [Fact]
    public async Task BlockedXReadIsServedByXAddInArrivalOrderAndDollarMeansTheLastIdWhenBlocking()
    {
        await using var admin = await _fixture.ConnectAsync();
        await admin.Expect("$1-1", "XADD", "b:s", "1-1", "f", "old");
        await using var first = await _fixture.ConnectAsync();
        await using var second = await _fixture.ConnectAsync();
        await first.WriteCommandAsync("XREAD", "BLOCK", "0", "STREAMS", "b:s", "$");
        await WaitForBlockedAsync(admin, 1);
        await second.WriteCommandAsync("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "b:s", "$");
        await WaitForBlockedAsync(admin, 2);

        // A write to another key does not wake them; the next XADD serves both, each from its own $.
        await admin.Expect("$1-1", "XADD", "b:other", "1-1", "f", "x");
        await admin.Expect("$2-1", "XADD", "b:s", "2-1", "f", "new");
        Assert.Equal("*[*[$b:s, *[*[$2-1, *[$f, $new]]]]]", (await first.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("*[*[$b:s, *[*[$2-1, *[$f, $new]]]]]", (await second.ReadReplyAsync(Deadline)).ToString());
        await WaitForBlockedAsync(admin, 0);
    }

    [Fact]
    public async Task BlockingTimesOutAndDoesNotBlockInsideMulti()
    {
        await using var c = await _fixture.ConnectAsync();
        var watch = Stopwatch.StartNew();
        await c.Expect("(nil-array)", "XREAD", "BLOCK", "50", "STREAMS", "to:s", "$");
        Assert.InRange(watch.ElapsedMilliseconds, 40, 5000);
        await c.SendAsync("HELLO", "3");
        await c.Expect("(null)", "XREAD", "BLOCK", "50", "STREAMS", "to:s", "0");
        await c.Expect("-ERR timeout is negative", "XREAD", "BLOCK", "-1", "STREAMS", "to:s", "0");
        await c.Expect("-ERR timeout is not an integer or out of range", "XREAD", "BLOCK", "1.5", "STREAMS", "to:s", "0");
    }

    [Fact]
    public async Task BlockedXReadGroupIsServedAndHearsOfDestroyedGroupsAndDeletedKeys()
    {
        await using var admin = await _fixture.ConnectAsync();
        await using var reader = await _fixture.ConnectAsync();
        await admin.Expect("+OK", "XGROUP", "CREATE", "bg:s", "g", "$", "MKSTREAM");
        await reader.WriteCommandAsync("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "bg:s", ">");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect("$1-1", "XADD", "bg:s", "1-1", "f", "v");
        Assert.Equal("*[*[$bg:s, *[*[$1-1, *[$f, $v]]]]]", (await reader.ReadReplyAsync(Deadline)).ToString());
        await admin.Expect("*[:1, $1-1, $1-1, *[*[$c, $1]]]", "XPENDING", "bg:s", "g");

        await reader.WriteCommandAsync("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "bg:s", ">");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "XGROUP", "DESTROY", "bg:s", "g");
        Assert.Equal("-NOGROUP the consumer group this client was blocked on no longer exists", (await reader.ReadReplyAsync(Deadline)).ToString());

        await admin.Expect("+OK", "XGROUP", "CREATE", "bg:s", "g", "$");
        await reader.WriteCommandAsync("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "bg:s", ">");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect(":1", "DEL", "bg:s");
        Assert.Equal("-UNBLOCKED the stream key no longer exists", (await reader.ReadReplyAsync(Deadline)).ToString());
        await WaitForBlockedAsync(admin, 0);
    }

    [Fact]
    public async Task BlockedXReadGroupHearsOfOverwritesAndFlushes()
    {
        // Checked on redis-server 7.0.15: setKey and signalFlushedDb unblock XREADGROUP waiters as DEL does.
        await using var server = await KvServerFixture.StartAsync();
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        await using var reader = await RespTestClient.ConnectAsync(server.Port);
        string[][] removals = [["SET", "s", "x"], ["FLUSHDB"], ["FLUSHALL"]];
        foreach (var removal in removals)
        {
            await admin.Expect("+OK", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
            await reader.WriteCommandAsync("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
            await WaitForBlockedAsync(admin, 1);
            await admin.Expect("+OK", removal);
            Assert.Equal("-UNBLOCKED the stream key no longer exists", (await reader.ReadReplyAsync(Deadline)).ToString());
            await admin.SendAsync("DEL", "s");
        }

        // A plain XREAD keeps waiting through a flush, and is served by the next XADD.
        await reader.WriteCommandAsync("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        await WaitForBlockedAsync(admin, 1);
        await admin.Expect("+OK", "FLUSHDB");
        await admin.Expect("$1-1", "XADD", "s", "1-1", "f", "v");
        Assert.Equal("*[*[$s, *[*[$1-1, *[$f, $v]]]]]", (await reader.ReadReplyAsync(Deadline)).ToString());
    }

    [Fact]
    public async Task XReadCountsTwoKeyspaceLookupsPerKeyAsRedis()
    {
        // The counts redis-server 7.0.15 gives for this sequence: xreadCommand looks each key up when
        // parsing and again when serving; a blocked reader served later counts nothing.
        await using var server = await KvServerFixture.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.Expect("$1-1", "XADD", "s", "1-1", "a", "b");
        await c.Expect("+OK", "XGROUP", "CREATE", "s", "g", "0");
        (string[] Command, string Counts)[] steps =
        [
            (["XREAD", "STREAMS", "s", "0"], "2/0"),
            (["XREAD", "STREAMS", "s", "nokey", "0", "0"], "4/2"),
            (["XREAD", "STREAMS", "s", "$"], "6/2"),
            (["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], "8/2"),
            (["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"], "10/2"),
            (["XRANGE", "s", "-", "+"], "11/2"),
        ];
        foreach (var (command, counts) in steps)
        {
            await c.SendAsync(command);
            Assert.Equal(counts, await KeyspaceCountsAsync(c));
        }

        await using var reader = await RespTestClient.ConnectAsync(server.Port);
        await reader.WriteCommandAsync("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        await WaitForBlockedAsync(c, 1);
        Assert.Equal("13/2", await KeyspaceCountsAsync(c));
        await c.Expect("$2-1", "XADD", "s", "2-1", "a", "b");
        await reader.ReadReplyAsync(Deadline);
        Assert.Equal("13/2", await KeyspaceCountsAsync(c));
    }

    private static async Task<string> KeyspaceCountsAsync(RespTestClient c)
    {
        string info = (await c.SendAsync("INFO", "stats")).Text!;
        string Field(string name) => info.Split("\r\n").First(line => line.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];
        return Field("keyspace_hits") + "/" + Field("keyspace_misses");
    }

    [Fact]
    public async Task ScriptsCannotUseBlock()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("$1-1", "XADD", "sc:s", "1-1", "f", "v");
        var reply = await c.SendAsync("EVAL", "return redis.call('xRead', 'BLOCK', '0', 'STREAMS', 'sc:s', '0')", "0");
        Assert.StartsWith("-ERR xRead command is not allowed with BLOCK option from scripts", reply.ToString());
        reply = await c.SendAsync("EVAL", "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 'x', 'STREAMS', 'sc:s', '>')", "0");
        Assert.StartsWith("-ERR XREADGROUP command is not allowed with BLOCK option from scripts", reply.ToString());
        await c.Expect("*[*[$sc:s, *[*[$1-1, *[$f, $v]]]]]", "EVAL", "return redis.call('XREAD', 'STREAMS', 'sc:s', '0')", "0");
    }

    [Fact]
    public async Task StreamsTakePartInCopyRenameScanAndExpiry()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "3");
        await c.Expect("$1-1", "XADD", "k:s", "1-1", "f", "v");
        await c.Expect("+OK", "XGROUP", "CREATE", "k:s", "g", "0");
        await c.Expect(":1", "COPY", "k:s", "k:copy");
        await c.Expect("*[*[$k:s, *[*[$1-1, *[$f, $v]]]]]", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "k:s", ">");
        await c.Expect("$2-1", "XADD", "k:s", "2-1", "f", "w");

        // The copy has its own entries and its own group state.
        await c.Expect(":1", "XLEN", "k:copy");
        await c.Expect("*[:0, (nil), (nil), (nil-array)]", "XPENDING", "k:copy", "g");
        await c.Expect("+OK", "RENAME", "k:copy", "k:renamed");
        await c.Expect("*[$0, *[$k:renamed]]", "SCAN", "0", "MATCH", "k:r*", "TYPE", "stream");
        await c.Expect(":1", "PEXPIRE", "k:renamed", "1");
        await Task.Delay(20);
        await c.Expect(":0", "EXISTS", "k:renamed");
        await c.Expect("+OK", "SET", "k:str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "XADD", "k:str", "*", "f", "v");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "XRANGE", "k:str", "-", "+");
    }

    /// <summary>
    /// 10 consumers of one group share 100,000 messages; one reads a batch and dies without acknowledging
    /// it; the others recover its messages with XAUTOCLAIM. Every message is acknowledged exactly once.
    /// </summary>
    [Fact]
    public async Task WorkQueueOfTenConsumersRecoversAKilledConsumersMessages()
    {
        const int Messages = 100_000;
        const string Queue = "wq:s";
        await using var admin = await _fixture.ConnectAsync();
        await admin.Expect("+OK", "XGROUP", "CREATE", Queue, "workers", "$", "MKSTREAM");

        // The producer pipelines its XADDs in batches.
        var produced = new HashSet<string>();
        for (int sent = 0; sent < Messages;)
        {
            int batch = Math.Min(2000, Messages - sent);
            for (int i = 0; i < batch; i++)
            {
                await admin.WriteCommandAsync("XADD", Queue, "*", "job", (sent + i).ToString(CultureInfo.InvariantCulture));
            }

            for (int i = 0; i < batch; i++)
            {
                var id = await admin.ReadReplyAsync(Deadline);
                Assert.True(produced.Add(id.Text!), $"duplicate id {id}");
            }

            sent += batch;
        }

        // The doomed consumer takes 500 messages and disconnects without acknowledging them.
        await using (var doomed = await _fixture.ConnectAsync())
        {
            var taken = await doomed.SendAsync("XREADGROUP", "GROUP", "workers", "doomed", "COUNT", "500", "STREAMS", Queue, ">");
            Assert.Equal(500, taken.Items![0].Items![1].Items!.Count);
        }

        var acked = new ConcurrentDictionary<string, int>();
        int total = 0;
        var watch = Stopwatch.StartNew();
        async Task WorkAsync(string name)
        {
            await using var c = await _fixture.ConnectAsync();
            while (Volatile.Read(ref total) < Messages)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{name}: only {total} of {Messages} acknowledged");
                var read = await c.SendAsync("XREADGROUP", "GROUP", "workers", name, "COUNT", "200", "BLOCK", "20", "STREAMS", Queue, ">");
                IReadOnlyList<RespReply>? entries = read.Items?[0].Items![1].Items;
                if (entries is null)
                {
                    // Nothing new: recover messages idle for 100 ms or more (the dead consumer's).
                    var claimed = await c.SendAsync("XAUTOCLAIM", Queue, "workers", name, "100", "0-0", "COUNT", "200");
                    entries = claimed.Items![1].Items!;
                }

                foreach (var entry in entries)
                {
                    await c.WriteCommandAsync("XACK", Queue, "workers", entry.Items![0].Text!);
                }

                foreach (var entry in entries)
                {
                    var reply = await c.ReadReplyAsync(Deadline);
                    if (reply.Integer == 1)
                    {
                        acked.AddOrUpdate(entry.Items![0].Text!, 1, (_, n) => n + 1);
                        Interlocked.Increment(ref total);
                    }
                }
            }
        }

        var workers = new Task[9];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkAsync("worker" + i.ToString(CultureInfo.InvariantCulture));
        }

        await Task.WhenAll(workers);
        Assert.Equal(Messages, acked.Count);
        Assert.All(acked.Values, n => Assert.Equal(1, n));
        Assert.True(produced.SetEquals(acked.Keys));
        await admin.Expect("*[:0, (nil), (nil), (nil-array)]", "XPENDING", Queue, "workers");
        await admin.Expect(":1", "DEL", Queue);
    }

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
