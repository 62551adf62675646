using Kv.Server.Tests.Compatibility;
using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Scripting;

/// <summary>
/// A runaway script against a kv-server process: every other client stays served (-BUSY, SCRIPT KILL,
/// MULTI/EXEC all-or-nothing), and SIGTERM and SHUTDOWN behave as Redis's do.
/// </summary>
public sealed class BusyScriptProcessTests
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RunawayScriptLeavesEveryClientServedAndIsKilled()
    {
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+OK", (await admin.SendAsync("CONFIG", "SET", "lua-time-limit", "10")).ToString());
        Assert.Equal("+OK", (await admin.SendAsync("SET", "xx", "1")).ToString());

        // The sequence that hung the server: a client that ran MULTI/DISCARD, then leaves during the script.
        var leaver = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+OK", (await leaver.SendAsync("MULTI")).ToString());
        Assert.Equal("+QUEUED", (await leaver.SendAsync("PING")).ToString());
        Assert.Equal("+OK", (await leaver.SendAsync("DISCARD")).ToString());
        await using var transaction = await RespTestClient.ConnectAsync(server.Port);

        await using var runner = await RespTestClient.ConnectAsync(server.Port);
        await runner.WriteCommandAsync("EVAL", "while true do end", "0");
        await WaitForBusyAsync(server.Port);
        await leaver.DisposeAsync();

        // Connections made during the script land on every socket thread: each is answered.
        for (int i = 0; i < 16; i++)
        {
            await using var other = await RespTestClient.ConnectAsync(server.Port);
            Assert.StartsWith("-BUSY Redis is busy running a script", (await other.SendAsync("PING")).ToString(), StringComparison.Ordinal);
        }

        // A refused command dooms the transaction (Redis's flagTransaction): EXEC runs none of it.
        Assert.Equal("+OK", (await transaction.SendAsync("MULTI")).ToString());
        Assert.StartsWith("-BUSY", (await transaction.SendAsync("INCR", "xx")).ToString(), StringComparison.Ordinal);
        Assert.StartsWith("-BUSY Redis is busy running a script. You can only call SCRIPT KILL", (await admin.SendAsync("FUNCTION", "KILL")).ToString(), StringComparison.Ordinal);
        Assert.Equal("+OK", (await admin.SendAsync("SCRIPT", "KILL")).ToString());
        Assert.StartsWith("-ERR Script killed by user with SCRIPT KILL", (await runner.ReadReplyAsync(Deadline)).ToString(), StringComparison.Ordinal);
        Assert.Equal("+QUEUED", (await transaction.SendAsync("INCR", "xx")).ToString());
        Assert.StartsWith("-EXECABORT Transaction discarded because of previous errors", (await transaction.SendAsync("EXEC")).ToString(), StringComparison.Ordinal);
        Assert.Equal("1", (await admin.SendAsync("GET", "xx")).Text);
        Assert.Equal("+PONG", (await transaction.SendAsync("PING")).ToString());
        Assert.Equal(":0", (await admin.SendAsync("EXISTS", "nothing")).ToString());
    }

    [Fact]
    public async Task ExecDuringBusyScriptIsAbortedAndRunsNothing()
    {
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var admin = await RespTestClient.ConnectAsync(server.Port);
        await admin.SendAsync("CONFIG", "SET", "lua-time-limit", "10");
        await admin.SendAsync("SET", "xx", "1");
        await using var transaction = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+OK", (await transaction.SendAsync("MULTI")).ToString());
        Assert.Equal("+QUEUED", (await transaction.SendAsync("INCR", "xx")).ToString());

        await using var runner = await RespTestClient.ConnectAsync(server.Port);
        await runner.WriteCommandAsync("EVAL", "while true do end", "0");
        await WaitForBusyAsync(server.Port);
        Assert.StartsWith("-EXECABORT Transaction discarded because of: BUSY", (await transaction.SendAsync("EXEC")).ToString(), StringComparison.Ordinal);
        Assert.Equal("+OK", (await admin.SendAsync("SCRIPT", "KILL")).ToString());
        await runner.ReadReplyAsync(Deadline);
        Assert.Equal("1", (await admin.SendAsync("GET", "xx")).Text);
        Assert.Equal("asdf", (await transaction.SendAsync("PING", "asdf")).Text);
    }

    [Fact]
    public async Task SigtermWaitsForTheBusyScriptThenExits()
    {
        await using var busy = await RunawayScript.StartAsync();
        var (server, admin, runner) = busy;

        // Redis acts on SIGTERM in serverCron, which the script holds off: it keeps serving meanwhile.
        server.Signal(SigTerm);
        await Task.Delay(300);
        Assert.False(server.HasExited);
        Assert.StartsWith("-BUSY", (await admin.SendAsync("PING")).ToString(), StringComparison.Ordinal);
        Assert.Equal("+OK", (await admin.SendAsync("SCRIPT", "KILL")).ToString());
        await server.WaitForExitAsync();
        Assert.Equal(0, server.ExitCode);
        Assert.Contains("Received SIGTERM scheduling shutdown", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondSigintExitsAtOnceDuringABusyScript()
    {
        await using var busy = await RunawayScript.StartAsync();
        var (server, admin, runner) = busy;
        server.Signal(SigInt);
        await WaitForLogAsync(server, "Received SIGINT scheduling shutdown");
        Assert.False(server.HasExited);
        server.Signal(SigInt);
        await server.WaitForExitAsync();
        Assert.Equal(1, server.ExitCode);
    }

    [Fact]
    public async Task OnlyShutdownNosaveStopsTheServerDuringABusyScript()
    {
        await using var busy = await RunawayScript.StartAsync();
        var (server, admin, runner) = busy;
        Assert.StartsWith("-BUSY", (await admin.SendAsync("SHUTDOWN")).ToString(), StringComparison.Ordinal);
        Assert.StartsWith("-BUSY", (await admin.SendAsync("SHUTDOWN", "SAVE")).ToString(), StringComparison.Ordinal);
        await admin.WriteCommandAsync("SHUTDOWN", "NOSAVE");
        await server.WaitForExitAsync();
        Assert.Equal(0, server.ExitCode);
    }

    private static async Task WaitForBusyAsync(int port)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            await using var probe = await RespTestClient.ConnectAsync(port);
            if ((await probe.SendAsync("PING")).ToString().StartsWith("-BUSY", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(10, deadline.Token);
        }
    }

    private static async Task WaitForLogAsync(ServerProcess server, string text)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!server.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no \"{text}\" in the server's log after {Deadline.TotalSeconds} s (exited: {server.HasExited}):\n{server.Output}");
            await Task.Delay(10);
        }
    }

    /// <summary>A kv-server process with lua-time-limit 10 whose runner connection runs a script that never ends.</summary>
    private sealed record RunawayScript(ServerProcess Server, RespTestClient Admin, RespTestClient Runner) : IAsyncDisposable
    {
        public static async Task<RunawayScript> StartAsync()
        {
            var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
            try
            {
                var admin = await RespTestClient.ConnectAsync(server.Port);
                Assert.Equal("+OK", (await admin.SendAsync("CONFIG", "SET", "lua-time-limit", "10")).ToString());
                var runner = await RespTestClient.ConnectAsync(server.Port);
                await runner.WriteCommandAsync("EVAL", "while true do end", "0");
                await WaitForBusyAsync(server.Port);
                return new RunawayScript(server, admin, runner);
            }
            catch
            {
                // A failed start must not leave a server spinning in its script behind the test run.
                await server.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Runner.DisposeAsync();
            await Admin.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
