using System.Diagnostics;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// A consumer-group workload that touches every way a group changes: XREADGROUP (new entries, NOACK,
/// history), XCLAIM (plain, IDLE/JUSTID, TIME/RETRYCOUNT/FORCE, LASTID alone), XAUTOCLAIM over a
/// deleted entry, XACK, blocked XREADGROUP served later (with and without NOACK), XGROUP
/// CREATECONSUMER/DELCONSUMER; and the state it leaves, as XINFO STREAM FULL and XPENDING show it.
/// Runs the same against kv-server and redis-server.
/// </summary>
internal static class StreamGroupWorkload
{
    public const string Key = "orders";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Runs the workload; <paramref name="tick"/> runs between steps (a test clock moves there, so delivery times differ).</summary>
    public static async Task RunAsync(int port, Func<Task> tick)
    {
        await using var c = await RespTestClient.ConnectAsync(port);
        await using var blocked = await RespTestClient.ConnectAsync(port);
        for (int i = 1; i <= 6; i++)
        {
            await Ok(c, "XADD", Key, $"{i}-1", "n", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Ok(c, "XGROUP", "CREATE", Key, "g", "0");
        await Ok(c, "XGROUP", "CREATE", Key, "g2", "$");
        await Ok(c, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", Key, ">");
        await tick();
        await Ok(c, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", Key, ">");
        await tick();
        await Ok(c, "XREADGROUP", "GROUP", "g", "carol", "COUNT", "2", "STREAMS", Key, ">");
        await tick();

        // History: redelivery moves delivery time and count of alice's entries.
        await Ok(c, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", Key, "0");
        await tick();
        await Ok(c, "XCLAIM", Key, "g", "dave", "0", "1-1");
        await Ok(c, "XCLAIM", Key, "g", "dave", "0", "4-1", "IDLE", "500", "JUSTID");
        await Ok(c, "XCLAIM", Key, "g", "erin", "0", "5-1", "3-1", "TIME", "1700000000000", "RETRYCOUNT", "7", "FORCE");
        await Ok(c, "XCLAIM", Key, "g", "nobody", "0", "9-9");
        await Ok(c, "XDEL", Key, "2-1");
        await tick();

        // 1-1 is claimed, 2-1 (deleted) leaves the PEL; the cursor stops at 3-1.
        await Ok(c, "XAUTOCLAIM", Key, "g", "frank", "0", "0", "COUNT", "2");
        await Ok(c, "XACK", Key, "g", "4-1");
        await tick();
        await Ok(c, "XREADGROUP", "GROUP", "g", "henry", "COUNT", "10", "STREAMS", Key, ">");
        await tick();

        // Blocked readers, served by a later XADD.
        await blocked.WriteCommandAsync("XREADGROUP", "GROUP", "g", "gina", "BLOCK", "0", "STREAMS", Key, ">");
        await WaitForBlockedAsync(c, 1);
        await Ok(c, "XADD", Key, "7-1", "n", "7");
        Assert.Contains("7-1", (await blocked.ReadReplyAsync(Deadline)).ToString(), StringComparison.Ordinal);
        await tick();
        await blocked.WriteCommandAsync("XREADGROUP", "GROUP", "g", "ivan", "NOACK", "BLOCK", "0", "STREAMS", Key, ">");
        await WaitForBlockedAsync(c, 1);
        await Ok(c, "XADD", Key, "8-1", "n", "8");
        Assert.Contains("8-1", (await blocked.ReadReplyAsync(Deadline)).ToString(), StringComparison.Ordinal);
        await tick();

        await Ok(c, "XCLAIM", Key, "g2", "nobody", "0", "9-9", "LASTID", "7-1");
        await Ok(c, "XREADGROUP", "GROUP", "g2", "x", "COUNT", "1", "STREAMS", Key, ">");
        await Ok(c, "XGROUP", "CREATECONSUMER", Key, "g", "idle-one");
        await Ok(c, "XGROUP", "DELCONSUMER", Key, "g", "bob");
    }

    /// <summary>
    /// XINFO STREAM FULL (each consumer's seen-time masked: neither Redis nor kv keeps it across a restart,
    /// replaying sets it to the load time), XPENDING of both groups in the extended form and XINFO GROUPS.
    /// With <paramref name="maskIdle"/> (servers on the real clock) XPENDING's idle times are masked too;
    /// the absolute delivery times of XINFO STREAM FULL still compare exactly.
    /// </summary>
    public static async Task<List<string>> SnapshotAsync(int port, bool maskIdle)
    {
        await using var c = await RespTestClient.ConnectAsync(port);
        return
        [
            "full " + Mask(await c.SendAsync("XINFO", "STREAM", Key, "FULL")),
            "pending g " + Pending(await c.SendAsync("XPENDING", Key, "g", "-", "+", "100"), maskIdle),
            "pending g2 " + Pending(await c.SendAsync("XPENDING", Key, "g2", "-", "+", "100"), maskIdle),
            "summary g " + await c.SendAsync("XPENDING", Key, "g"),
            "groups " + await c.SendAsync("XINFO", "GROUPS", Key),
        ];
    }

    /// <summary>The delivery times of group g's PEL in XINFO STREAM FULL (absolute unix ms), for checks that they are real.</summary>
    public static async Task<List<long>> DeliveryTimesAsync(int port)
    {
        await using var c = await RespTestClient.ConnectAsync(port);
        var full = await c.SendAsync("XINFO", "STREAM", Key, "FULL");
        var times = new List<long>();
        foreach (var group in Field(full, "groups").Items!)
        {
            if (Field(group, "name").Text == "g")
            {
                foreach (var entry in Field(group, "pending").Items!)
                {
                    times.Add(entry.Items![2].Integer);
                }
            }
        }

        return times;
    }

    // The value after a name in a RESP2 flat map.
    private static RespReply Field(RespReply map, string name)
    {
        for (int i = 0; i + 1 < map.Items!.Count; i += 2)
        {
            if (map.Items[i].Text == name)
            {
                return map.Items[i + 1];
            }
        }

        throw new InvalidOperationException($"No {name} in {map}");
    }

    public static async Task WaitForBlockedAsync(RespTestClient admin, int count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var info = (await admin.SendAsync("INFO", "clients")).Text ?? "";
            int at = info.IndexOf("blocked_clients:", StringComparison.Ordinal);
            int end = info.IndexOf('\r', at);
            int blocked = int.Parse(info[(at + 16)..end], System.Globalization.CultureInfo.InvariantCulture);
            if (blocked == count)
            {
                return;
            }

            Assert.True(watch.Elapsed < Deadline, $"expected {count} blocked clients, INFO says {blocked}");
            await Task.Delay(5);
        }
    }

    private static async Task Ok(RespTestClient c, params object[] args)
    {
        var reply = await c.SendAsync(args);
        Assert.False(reply.IsError, $"{string.Join(' ', args)} -> {reply}");
    }

    // XPENDING key group - + count: [id, consumer, idle, deliveries] per entry.
    private static string Pending(RespReply reply, bool maskIdle)
    {
        if (!maskIdle || reply.Items is null)
        {
            return reply.ToString();
        }

        var entries = new List<string>();
        foreach (var entry in reply.Items)
        {
            entries.Add($"{entry.Items![0]} {entry.Items[1]} <idle> {entry.Items[3]}");
        }

        return string.Join(", ", entries);
    }

    private static string Mask(RespReply reply)
    {
        var sb = new StringBuilder();
        Render(reply, sb);
        return sb.ToString();
    }

    // RespReply's rendering, with the value after each "seen-time"/"active-time" name replaced.
    private static void Render(RespReply reply, StringBuilder sb)
    {
        if (reply.Items is null)
        {
            sb.Append(reply);
            return;
        }

        sb.Append(reply.Type).Append('[');
        for (int i = 0; i < reply.Items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            if (i > 0 && reply.Items[i - 1].Text is "seen-time" or "active-time")
            {
                sb.Append("<time>");
                continue;
            }

            Render(reply.Items[i], sb);
        }

        sb.Append(']');
    }
}
