using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>EVAL, EVALSHA, SCRIPT and the busy-script machinery against an in-process kv-server.</summary>
public sealed class ScriptingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EvalRunsCommandsAtomicallyAndCachesTheScript()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        const string script = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[1], ARGV[2])";
        Assert.Equal(":15", (await client.SendAsync("EVAL", script, "1", "counter", "10", "5")).ToString());
        string sha = (await client.SendAsync("SCRIPT", "LOAD", script)).Text!;
        Assert.Equal(40, sha.Length);
        Assert.Equal("*[:1]", (await client.SendAsync("SCRIPT", "EXISTS", sha)).ToString());
        string memory = (await client.SendAsync("INFO", "memory")).Text!;
        Assert.Contains("number_of_cached_scripts:1\r\n", memory);
        Assert.Matches(@"used_memory_lua:[1-9]\d*\r\n", memory);
        Assert.Equal(":3", (await client.SendAsync("EVALSHA", sha.ToUpperInvariant(), "1", "counter", "1", "2")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("SCRIPT", "FLUSH")).ToString());
        Assert.Equal("-NOSCRIPT No matching script. Please use EVAL.", (await client.SendAsync("EVALSHA", sha, "1", "counter", "1", "2")).ToString());
        Assert.Equal("$3", (await client.SendAsync("GET", "counter")).ToString());
    }

    [Fact]
    public async Task AFreshLuaStateStaysSmallAcrossManyEvals()
    {
        // Redis's suite: after SCRIPT FLUSH and 10000 EVALs used_memory_lua stays under 100 KB. The
        // environment is loaded stripped and bit/struct/cjson/cmsgpack only when a script uses them.
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        await client.SendAsync("SCRIPT", "FLUSH");
        for (int i = 0; i < 3000; i++)
        {
            await client.SendAsync("EVAL", "return redis.call('incr', KEYS[1])", "1", "x");
        }

        string memory = (await client.SendAsync("INFO", "memory")).Text!;
        long used = long.Parse(System.Text.RegularExpressions.Regex.Match(memory, @"used_memory_lua:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(used, 1, 100 * 1024);

        // The libraries load on first use, and work.
        Assert.Equal("$[1,2]", (await client.SendAsync("EVAL", "return cjson.encode({1, 2})", "0")).ToString());
        Assert.Equal("$3", (await client.SendAsync("EVAL", "return tostring(bit.bor(1, 2))", "0")).ToString());
    }

    [Fact]
    public async Task ScriptsThatDeclareFlagsAreRefusedWhenOutOfMemory()
    {
        // Redis's evalGetCommandFlags/fcallGetCommandFlags: declared flags without allow-oom or no-writes mean denyoom.
        const string Oom = "-OOM command not allowed when used memory > 'maxmemory'.";
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        await client.SendAsync("FUNCTION", "LOAD", "#!lua name=oomlib\nredis.register_function('w', function() return 1 end)\n"
            + "redis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}");
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "1")).ToString());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Oom, (await client.SendAsync("EVAL", "#!lua\nreturn 1", "0")).ToString());
        }

        Assert.Equal(":1", (await client.SendAsync("EVAL", "return 1", "0")).ToString());
        Assert.Equal(":1", (await client.SendAsync("EVAL", "#!lua flags=no-writes\nreturn 1", "0")).ToString());
        Assert.Equal(":1", (await client.SendAsync("EVAL", "#!lua flags=allow-oom\nreturn 1", "0")).ToString());
        Assert.Equal(Oom, (await client.SendAsync("FCALL", "w", "0")).ToString());
        Assert.Equal(":2", (await client.SendAsync("FCALL", "r", "0")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "maxmemory", "0")).ToString());
        Assert.Equal(":1", (await client.SendAsync("EVAL", "#!lua\nreturn 1", "0")).ToString());
    }

    [Fact]
    public async Task SelectInsideAScriptDoesNotChangeTheCallersDatabase()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+OK", (await client.SendAsync("EVAL", "redis.call('select', 2) return redis.call('set', 'in2', 'x')", "0")).ToString());
        Assert.Equal("(nil)", (await client.SendAsync("GET", "in2")).ToString());
        await client.SendAsync("SELECT", "2");
        Assert.Equal("$x", (await client.SendAsync("GET", "in2")).ToString());
    }

    [Fact]
    public async Task ScriptErrorsNameTheScriptAndLine()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        await client.SendAsync("SET", "s", "text");
        var reply = await client.SendAsync("EVAL", "local x = 1\nreturn redis.call('incr', KEYS[1])", "1", "s");
        Assert.StartsWith("-ERR value is not an integer or out of range script: ", reply.ToString());
        Assert.EndsWith(", on @user_script:2.", reply.ToString());
        Assert.Equal("-ERR Number of keys can't be negative", (await client.SendAsync("EVAL", "return 1", "-1")).ToString());
        Assert.Equal("-ERR Write commands are not allowed from read-only scripts. script: 5a364c01d2e767075a1b9f8f5f2c4508ab99b899, on @user_script:1.",
            (await client.SendAsync("EVAL_RO", "return redis.call('set','a', 'b')", "0")).ToString());
    }

    [Fact]
    public async Task LongScriptMakesOthersBusyUntilScriptKill()
    {
        await using var server = await KvServerFixture.StartAsync(["--busy-reply-threshold", "100"]);
        await using var runner = await RespTestClient.ConnectAsync(server.Port);
        await using var other = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("-NOTBUSY No scripts in execution right now.", (await other.SendAsync("SCRIPT", "KILL")).ToString());
        await runner.WriteCommandAsync("EVAL", "local n = 0 while true do n = n + 1 end", "0");
        try
        {
            await AssertBusyThenKillAsync(runner, other);
        }
        finally
        {
            // A failed assertion must not leave the script spinning (the server could not stop).
            await using var rescuer = await RespTestClient.ConnectAsync(server.Port);
            await rescuer.SendAsync("SCRIPT", "KILL");
        }
    }

    private static async Task AssertBusyThenKillAsync(RespTestClient runner, RespTestClient other)
    {

        // Other clients wait until the threshold passes, then get -BUSY; the deadline bounds the wait.
        var busy = await WaitForAsync(other, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", "PING");
        Assert.Equal("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", busy);
        // FUNCTION KILL does not stop an EVAL (Redis answers with the script's -BUSY).
        Assert.Equal("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", (await other.SendAsync("FUNCTION", "KILL")).ToString());
        Assert.Equal("+OK", (await other.SendAsync("SCRIPT", "KILL")).ToString());
        var killed = await runner.ReadReplyAsync(Deadline);
        Assert.StartsWith("-ERR Script killed by user with SCRIPT KILL... script: ", killed.ToString());
        Assert.Equal("+PONG", (await other.SendAsync("PING")).ToString());

        // The next script runs normally (the kill hook is reset).
        Assert.Equal(":3", (await runner.SendAsync("EVAL", "local n = 0 for i = 1, 300000 do n = n + 1 end return 3", "0")).ToString());
    }

    [Fact]
    public async Task ScriptThatWroteCannotBeKilled()
    {
        await using var server = await KvServerFixture.StartAsync(["--busy-reply-threshold", "100"]);
        await using var runner = await RespTestClient.ConnectAsync(server.Port);
        await using var other = await RespTestClient.ConnectAsync(server.Port);
        await runner.WriteCommandAsync("EVAL", "redis.call('set', 'w', '1') local t = redis.call('time')[1] while redis.call('time')[1] - t < 3 do end return 'done'", "0");
        await WaitForAsync(other, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", "PING");
        Assert.StartsWith("-UNKILLABLE Sorry the script already executed write commands", (await other.SendAsync("SCRIPT", "KILL")).ToString());
        Assert.Equal("$done", (await runner.ReadReplyAsync(Deadline)).ToString());
        Assert.Equal("$1", (await other.SendAsync("GET", "w")).ToString());
    }

    private static async Task<string> WaitForAsync(RespTestClient client, string expected, params object[] command)
    {
        var until = DateTime.UtcNow + Deadline;
        string last = "";
        while (DateTime.UtcNow < until)
        {
            last = (await client.SendAsync(command)).ToString();
            if (last == expected)
            {
                return last;
            }

            await Task.Delay(20);
        }

        return last;
    }
}
