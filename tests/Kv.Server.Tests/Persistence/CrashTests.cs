using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// The crash test: a kv-server process with appendonly yes and appendfsync always, eight
/// connections writing (INCR, SET, RPUSH in turn), killed with SIGKILL. After a restart every
/// acknowledged write is there, and nothing that was never sent appears: each connection's data is
/// exactly its first <c>acked</c> commands, or <c>acked + 1</c> when one was in flight at the kill.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const int Connections = 8;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-crash-test-");

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

    [Fact]
    public async Task SigkillLosesNoAcknowledgedWriteUnderAppendfsyncAlways()
    {
        string[] args = ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dir.FullName, "--save", ""];
        var acked = new int[Connections];
        var inFlight = new bool[Connections];
        await using (var server = await ServerProcess.StartKvAsync(args))
        {
            using var stop = new CancellationTokenSource();
            var writers = new Task[Connections];
            for (int w = 0; w < Connections; w++)
            {
                int id = w;
                writers[w] = Task.Run(async () =>
                {
                    await using var c = await RespTestClient.ConnectAsync(server.Port);
                    try
                    {
                        for (int step = 0; ; step++)
                        {
                            inFlight[id] = true;
                            await c.WriteCommandAsync(Command(id, step));
                            var reply = await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
                            Assert.False(reply.IsError, reply.ToString());
                            acked[id] = step + 1;
                            inFlight[id] = false;
                            if (stop.IsCancellationRequested)
                            {
                                // Keep a command in flight when the kill comes.
                                await c.WriteCommandAsync(Command(id, step + 1));
                                inFlight[id] = true;
                                await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
                                acked[id] = step + 2;
                                inFlight[id] = false;
                                return;
                            }
                        }
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
                    {
                        // The server died under us: whatever was in flight may or may not have been written.
                    }
                });
            }

            // Let the writers run, then kill the server while commands are in flight.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Sum(acked) < 3000 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            stop.Cancel();
            await server.KillAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(Sum(acked) > 100, $"Only {Sum(acked)} writes were acknowledged before the kill.");
        await using (var server = await ServerProcess.StartKvAsync(args))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            long expectedKeys = 0;
            for (int w = 0; w < Connections; w++)
            {
                // The data must be that of exactly n commands: acked, or acked + 1 when one was in flight.
                int n = acked[w];
                if (!await MatchesAsync(c, w, n))
                {
                    Assert.True(inFlight[w] && await MatchesAsync(c, w, n + 1), $"Connection {w}: the data is neither its {n} acknowledged commands nor those plus the one in flight.\n{server.Output}");
                    n++;
                }

                var (counter, sets, pushes) = Expected(n);
                expectedKeys += (counter > 0 ? 1 : 0) + sets + (pushes > 0 ? 1 : 0);
            }

            Assert.Equal(expectedKeys, (await c.SendAsync("DBSIZE")).Integer);
        }
    }

    /// <summary>
    /// Blocked clients under appendfsync always: producers RPUSH unique elements one at a time, more
    /// consumers than producers wait in BLPOP/BRPOP (so most pops serve a blocked client from a
    /// producer's batch), and the server is killed. After a restart no element a consumer received is
    /// in the list, and every acknowledged push a consumer did not receive is there (save at most one
    /// pop per consumer whose reply was in flight at the kill).
    /// </summary>
    [Fact]
    public async Task SigkillLosesNoPopABlockedClientReceivedUnderAppendfsyncAlways()
    {
        const int Producers = 2;
        const int Consumers = 4;
        string[] args = ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dir.FullName, "--save", ""];
        var acked = new int[Producers];
        var inFlight = new bool[Producers];
        var received = new List<string>[Consumers];
        await using (var server = await ServerProcess.StartKvAsync(args))
        {
            using var stop = new CancellationTokenSource();
            var tasks = new List<Task>();
            for (int k = 0; k < Consumers; k++)
            {
                var mine = received[k] = [];
                int id = k;
                tasks.Add(Task.Run(async () =>
                {
                    await using var c = await RespTestClient.ConnectAsync(server.Port);
                    try
                    {
                        for (int step = 0; ; step++)
                        {
                            var reply = await c.SendAsync(step % 2 == 0 ? "BLPOP" : "BRPOP", "queue", "0");
                            Assert.False(reply.IsError, reply.ToString());
                            lock (mine)
                            {
                                mine.Add(reply.Items![1].Text!);
                            }
                        }
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
                    {
                        // The server died under us.
                    }
                }));
            }

            for (int p = 0; p < Producers; p++)
            {
                int id = p;
                tasks.Add(Task.Run(async () =>
                {
                    await using var c = await RespTestClient.ConnectAsync(server.Port);
                    try
                    {
                        for (int n = 0; ; n++)
                        {
                            inFlight[id] = true;
                            var reply = await c.SendAsync("RPUSH", "queue", Element(id, n));
                            Assert.False(reply.IsError, reply.ToString());
                            acked[id] = n + 1;
                            inFlight[id] = false;
                        }
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException)
                    {
                    }
                }));
            }

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Sum(acked) < 2000 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            await server.KillAsync();
            await Task.WhenAll(tasks);
        }

        var got = new HashSet<string>();
        foreach (var list in received)
        {
            foreach (var element in list)
            {
                Assert.True(got.Add(element), $"{element} was received twice");
            }
        }

        Assert.True(got.Count > 100, $"Only {got.Count} elements reached the consumers before the kill.");
        await using (var server = await ServerProcess.StartKvAsync(args))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            var remaining = new HashSet<string>();
            foreach (var item in (await c.SendAsync("LRANGE", "queue", "0", "-1")).Items!)
            {
                Assert.True(remaining.Add(item.Text!), $"{item.Text} is in the list twice");
                Assert.DoesNotContain(item.Text!, got);
            }

            int lost = 0;
            var sent = new HashSet<string>();
            for (int p = 0; p < Producers; p++)
            {
                for (int n = 0; n < acked[p] + (inFlight[p] ? 1 : 0); n++)
                {
                    string element = Element(p, n);
                    sent.Add(element);
                    if (!got.Contains(element) && !remaining.Contains(element) && n < acked[p])
                    {
                        lost++;
                    }
                }
            }

            Assert.Subset(sent, remaining);

            Assert.True(lost <= Consumers, $"{lost} acknowledged pushes are neither in the list nor received by a consumer.\n{server.Output}");
        }
    }

    private static string Element(int producer, int n) => $"p{producer}:{n.ToString(CultureInfo.InvariantCulture)}";

    // Connection w's step-th command: INCR, SET, RPUSH in turn.
    private static object[] Command(int w, int step)
    {
        int i = step / 3;
        string n = i.ToString(CultureInfo.InvariantCulture);
        return (step % 3) switch
        {
            0 => ["INCR", $"counter:{w}"],
            1 => ["SET", $"key:{w}:{n}", $"value:{n}"],
            _ => ["RPUSH", $"list:{w}", n],
        };
    }

    private static (int Counter, int Sets, int Pushes) Expected(int commands) =>
        ((commands + 2) / 3, (commands + 1) / 3, commands / 3);

    private static async Task<bool> MatchesAsync(RespTestClient c, int w, int commands)
    {
        var (counter, sets, pushes) = Expected(commands);
        var value = await c.SendAsync("GET", $"counter:{w}");
        if (counter == 0 ? !value.IsNull : value.Text != counter.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }

        // The last SET and the one after it decide (the ones before are covered by DBSIZE at the end).
        if (sets > 0 && (await c.SendAsync("GET", $"key:{w}:{sets - 1}")).Text != $"value:{sets - 1}")
        {
            return false;
        }

        if (!(await c.SendAsync("GET", $"key:{w}:{sets}")).IsNull)
        {
            return false;
        }

        var list = await c.SendAsync("LRANGE", $"list:{w}", "0", "-1");
        if (list.Items!.Count != pushes)
        {
            return false;
        }

        for (int i = 0; i < pushes; i++)
        {
            if (list.Items[i].Text != i.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
    }

    private static int Sum(int[] values)
    {
        int sum = 0;
        foreach (int v in values)
        {
            sum += v;
        }

        return sum;
    }
}
