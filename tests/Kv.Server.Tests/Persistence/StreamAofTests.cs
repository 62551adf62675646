using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// appendonly yes with stream consumer groups: XREADGROUP, XCLAIM and XAUTOCLAIM reach the file as Redis
/// propagates them (XCLAIM … TIME RETRYCOUNT FORCE JUSTID LASTID, XGROUP SETID … ENTRIESREAD, XGROUP
/// CREATECONSUMER), so a restart brings back the same PEL, delivery times and counts, last-delivered
/// IDs, entries-read and consumers; and blocked clients served by another connection's write have that
/// effect in the file.
/// </summary>
public sealed class StreamAofTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-stream-aof-test-");

    public void Dispose()
    {
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<KvServer> StartAsync(TimeProvider time) =>
        KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", _dir.FullName, "--appendfsync", "always"], time);

    [Fact]
    public async Task ConsumerGroupStateIsTheSameAfterARestartFromTheAof()
    {
        var clock = new ManualClock();
        List<string> before;
        List<long> times;
        await using (var server = await StartAsync(clock))
        {
            await StreamGroupWorkload.RunAsync(server.Port, () =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(1500));
                return Task.CompletedTask;
            });
            before = await StreamGroupWorkload.SnapshotAsync(server.Port, maskIdle: false);
            times = await StreamGroupWorkload.DeliveryTimesAsync(server.Port);
        }

        // The clock stands still across the restart: a delivery time taken from the load instead of the
        // file would show in XPENDING's idle times and XINFO STREAM FULL's delivery times.
        Assert.True(times.Distinct().Count() >= 3, "the workload should leave entries delivered at different times: " + string.Join(",", times));
        Assert.Contains(1_700_000_000_000, times);
        await using (var server = await StartAsync(clock))
        {
            var after = await StreamGroupWorkload.SnapshotAsync(server.Port, maskIdle: false);
            for (int i = 0; i < before.Count; i++)
            {
                Assert.Equal(before[i], after[i]);
            }
        }
    }

    [Fact]
    public async Task ConsumerGroupEffectsAreWrittenAsRedisPropagatesThem()
    {
        var clock = new ManualClock();
        string now = clock.UnixMilliseconds.ToString(CultureInfo.InvariantCulture);
        await using (var server = await StartAsync(clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("XADD", "s", "1-1", "f", "v");
            await c.SendAsync("XADD", "s", "2-1", "f", "v");
            Assert.Equal("+OK", (await c.SendAsync("XGROUP", "CREATE", "s", "g", "0")).ToString());
            Assert.Contains("1-1", (await c.SendAsync("XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "s", ">")).ToString(), StringComparison.Ordinal);
            Assert.Contains("2-1", (await c.SendAsync("XREADGROUP", "GROUP", "g", "b", "NOACK", "STREAMS", "s", ">")).ToString(), StringComparison.Ordinal);
            Assert.True((await c.SendAsync("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")).IsNull);
            Assert.Equal("*[$1-1]", (await c.SendAsync("XCLAIM", "s", "g", "c", "0", "1-1", "JUSTID")).ToString());
            Assert.Equal(":1", (await c.SendAsync("XDEL", "s", "1-1")).ToString());
            Assert.Equal("*[$0-0, *[], *[$1-1]]", (await c.SendAsync("XAUTOCLAIM", "s", "g", "d", "0", "0")).ToString());
            Assert.Equal("*[]", (await c.SendAsync("XCLAIM", "s", "g", "e", "0", "7-7", "LASTID", "5-5")).ToString());
            Assert.Equal("*[]", (await c.SendAsync("XCLAIM", "s", "g", "e", "0", "7-7")).ToString());
            Assert.Equal(":0", (await c.SendAsync("XACK", "s", "g", "1-1")).ToString());
        }

        Assert.Equal(
        [
            "SELECT 0",
            "XADD s 1-1 f v",
            "XADD s 2-1 f v",
            "XGROUP CREATE s g 0",
            "MULTI",
            $"XCLAIM s g a 0 1-1 TIME {now} RETRYCOUNT 1 FORCE JUSTID LASTID 1-1",
            "XGROUP SETID s g 1-1 ENTRIESREAD 1",
            "EXEC",
            "MULTI",
            "XGROUP CREATECONSUMER s g b",
            "XGROUP SETID s g 2-1 ENTRIESREAD 2",
            "EXEC",
            $"XCLAIM s g c 0 1-1 TIME {now} RETRYCOUNT 1 FORCE JUSTID LASTID 2-1",
            "XDEL s 1-1",
            $"XCLAIM s g c 0 1-1 TIME {now} RETRYCOUNT 1 FORCE JUSTID LASTID 2-1",
            "XGROUP SETID s g 5-5 ENTRIESREAD 2",
        ],
        AofFiles.Commands(AofFiles.LastIncr(_dir.FullName)));
    }

    [Fact]
    public async Task BlockedClientsServedByAnotherConnectionHaveTheirEffectsInTheAof()
    {
        var clock = new ManualClock();
        await using (var server = await StartAsync(clock))
        {
            await using var admin = await RespTestClient.ConnectAsync(server.Port);
            await using var blpop = await RespTestClient.ConnectAsync(server.Port);
            await using var blmove = await RespTestClient.ConnectAsync(server.Port);
            await using var bzpop = await RespTestClient.ConnectAsync(server.Port);
            await using var xread = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("+OK", (await admin.SendAsync("XGROUP", "CREATE", "st", "g", "$", "MKSTREAM")).ToString());
            await blpop.WriteCommandAsync("BLPOP", "l", "0");
            await blmove.WriteCommandAsync("BLMOVE", "m", "dst", "LEFT", "RIGHT", "0");
            await bzpop.WriteCommandAsync("BZPOPMIN", "z", "0");
            await xread.WriteCommandAsync("XREADGROUP", "GROUP", "g", "w", "BLOCK", "0", "STREAMS", "st", ">");
            await StreamGroupWorkload.WaitForBlockedAsync(admin, 4);

            // One batch wakes all four: the writer's replies and theirs all wait for the same fsync.
            await admin.WriteRawAsync(RespTestClient.Encode("RPUSH", "l", "a", "b")
                .Concat(RespTestClient.Encode("RPUSH", "m", "c", "d"))
                .Concat(RespTestClient.Encode("ZADD", "z", "1", "x", "2", "y"))
                .Concat(RespTestClient.Encode("XADD", "st", "1-1", "f", "v")).ToArray());
            for (int i = 0; i < 4; i++)
            {
                Assert.False((await admin.ReadReplyAsync(Deadline)).IsError);
            }

            Assert.Equal("*[$l, $a]", (await blpop.ReadReplyAsync(Deadline)).ToString());
            Assert.Equal("$c", (await blmove.ReadReplyAsync(Deadline)).ToString());
            Assert.Equal("*[$z, $x, $1]", (await bzpop.ReadReplyAsync(Deadline)).ToString());
            Assert.Contains("1-1", (await xread.ReadReplyAsync(Deadline)).ToString(), StringComparison.Ordinal);
        }

        var commands = AofFiles.Commands(AofFiles.LastIncr(_dir.FullName));
        Assert.Contains("LPOP l", commands);
        Assert.Contains("LMOVE m dst LEFT RIGHT", commands);
        Assert.Contains("ZPOPMIN z", commands);
        Assert.Contains(commands, command => command.StartsWith("XCLAIM st g w 0 1-1 TIME ", StringComparison.Ordinal));
        await using (var server = await StartAsync(clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("*[$b]", (await c.SendAsync("LRANGE", "l", "0", "-1")).ToString());
            Assert.Equal("*[$d]", (await c.SendAsync("LRANGE", "m", "0", "-1")).ToString());
            Assert.Equal("*[$c]", (await c.SendAsync("LRANGE", "dst", "0", "-1")).ToString());
            Assert.Equal("*[$y]", (await c.SendAsync("ZRANGE", "z", "0", "-1")).ToString());
            Assert.Equal("*[:1, $1-1, $1-1, *[*[$w, $1]]]", (await c.SendAsync("XPENDING", "st", "g")).ToString());
        }
    }
}
