using System.Text;
using Kv.Server.Persistence.Rdb;
using Kv.Server.Scripting;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>FUNCTION and FCALL against an in-process kv-server, and the DUMP payload's pieces.</summary>
public sealed class FunctionTests
{
    private const string Library = "#!lua name=counters\n"
        + "redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n"
        + "redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";

    [Fact]
    public async Task LoadCallListDeleteAndFlush()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("$counters", (await client.SendAsync("FUNCTION", "LOAD", Library)).ToString());
        Assert.Equal(":5", (await client.SendAsync("FCALL", "bump", "1", "c", "5")).ToString());
        Assert.Equal("$5", (await client.SendAsync("FCALL_RO", "peek", "1", "c")).ToString());
        Assert.Equal("-ERR Can not execute a script with write flag using *_ro command.", (await client.SendAsync("FCALL_RO", "bump", "1", "c", "1")).ToString());
        Assert.Contains("$counters", (await client.SendAsync("FUNCTION", "LIST")).ToString());
        Assert.Equal("$counters", (await client.SendAsync("FUNCTION", "LOAD", "REPLACE", Library)).ToString());
        Assert.Equal("+OK", (await client.SendAsync("FUNCTION", "DELETE", "counters")).ToString());
        Assert.Equal("-ERR Function not found", (await client.SendAsync("FCALL", "bump", "1", "c", "5")).ToString());
        await client.SendAsync("FUNCTION", "LOAD", Library);
        Assert.Equal("+OK", (await client.SendAsync("FUNCTION", "FLUSH")).ToString());
        Assert.Equal("*[]", (await client.SendAsync("FUNCTION", "LIST")).ToString());
    }

    [Fact]
    public async Task DumpRestoresOnAnotherServer()
    {
        await using var source = await KvServerFixture.StartAsync();
        await using var target = await KvServerFixture.StartAsync();
        await using var a = await RespTestClient.ConnectAsync(source.Port);
        await using var b = await RespTestClient.ConnectAsync(target.Port);
        await a.SendAsync("FUNCTION", "LOAD", Library);
        var payload = (await a.SendAsync("FUNCTION", "DUMP")).Bytes!;
        Assert.Equal("+OK", (await b.SendAsync("FUNCTION", "RESTORE", payload)).ToString());
        Assert.Equal(":2", (await b.SendAsync("FCALL", "bump", "1", "c", "2")).ToString());
        Assert.Equal("-ERR Library counters already exists", (await b.SendAsync("FUNCTION", "RESTORE", payload, "APPEND")).ToString());
        Assert.Equal("+OK", (await b.SendAsync("FUNCTION", "RESTORE", payload, "REPLACE")).ToString());
        payload[^1] ^= 1;
        Assert.Equal("-ERR DUMP payload version or checksum are wrong", (await b.SendAsync("FUNCTION", "RESTORE", payload)).ToString());
    }

    [Fact]
    public async Task BusyFunctionIsReportedByStatsAndKilledByFunctionKill()
    {
        await using var server = await KvServerFixture.StartAsync(["--busy-reply-threshold", "100"]);
        await using var runner = await RespTestClient.ConnectAsync(server.Port);
        await using var other = await RespTestClient.ConnectAsync(server.Port);
        await runner.SendAsync("FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}");
        await runner.WriteCommandAsync("FCALL", "spin", "0");
        try
        {
            await AssertBusyThenKillAsync(runner, other);
        }
        finally
        {
            // A failed assertion must not leave the script spinning (the server could not stop).
            await using var rescuer = await RespTestClient.ConnectAsync(server.Port);
            await rescuer.SendAsync("FUNCTION", "KILL");
        }
    }

    private static async Task AssertBusyThenKillAsync(RespTestClient runner, RespTestClient other)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string reply = "";
        while (DateTime.UtcNow < until && !reply.StartsWith("-BUSY", StringComparison.Ordinal))
        {
            reply = (await other.SendAsync("PING")).ToString();
        }

        Assert.Equal("-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.", reply);
        var stats = (await other.SendAsync("FUNCTION", "STATS")).ToString();
        Assert.Contains("$name, $spin, $command, *[$FCALL, $spin, $0], $duration_ms", stats);
        // SCRIPT KILL does not stop a function (Redis answers with the function's -BUSY).
        Assert.Equal("-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.", (await other.SendAsync("SCRIPT", "KILL")).ToString());
        Assert.Equal("+OK", (await other.SendAsync("FUNCTION", "KILL")).ToString());
        Assert.StartsWith("-ERR Script killed by user with FUNCTION KILL... script: spin, on @user_function:2.", (await runner.ReadReplyAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.Equal("+PONG", (await other.SendAsync("PING")).ToString());

        // The kill is over: a library loads (its code ran into the kill before) and functions run.
        Assert.Equal("$after", (await other.SendAsync("FUNCTION", "LOAD", "#!lua name=after\nlocal n = 0\nfor i = 1, 300000 do n = n + 1 end\nredis.register_function('after', function() return n end)")).ToString());
        Assert.Equal(":300000", (await other.SendAsync("FCALL", "after", "0")).ToString());
    }

    [Fact]
    public async Task LoadRunningTooLongTimesOutAndChangesNothing()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        await client.SendAsync("FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('kept', function() return 'old' end)");

        // Redis stops a library's code after 500 ms (LOAD_TIMEOUT_MS), even a loop with no line to hook.
        var reply = await client.SendAsync("FUNCTION", "LOAD", "REPLACE", "#!lua name=busy\nredis.register_function('kept', function() return 'new' end)\nwhile true do end");
        Assert.Equal("-ERR Error registering functions: ERR FUNCTION LOAD timeout", reply.ToString());
        Assert.Equal("$old", (await client.SendAsync("FCALL", "kept", "0")).ToString());

        // The state is back to normal: the next load runs (more than 100000 instructions) and registers.
        Assert.Equal("$next", (await client.SendAsync("FUNCTION", "LOAD", "#!lua name=next\nlocal n = 0\nfor i = 1, 300000 do n = n + 1 end\nredis.register_function('next', function() return n end)")).ToString());
        Assert.Equal(":300000", (await client.SendAsync("FCALL", "next", "0")).ToString());
    }

    [Fact]
    public void Crc64IsRedisCrc64()
    {
        // Redis's crc64.c self-test value.
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));
    }

    [Fact]
    public void RdbStringsRoundTripAndLzfDecompresses()
    {
        var output = new List<byte>();
        byte[] value = Encoding.ASCII.GetBytes(new string('a', 20000));
        RdbString.Write(output, value);
        int position = 0;
        Assert.Equal(value, RdbString.Read(output.ToArray(), ref position));
        Assert.Equal(output.Count, position);

        // LZF: a 3-byte literal "abc" then a back reference repeating it 3 bytes back, 6 bytes long → "abcabcabc".
        byte[] compressed = [2, (byte)'a', (byte)'b', (byte)'c', (4 << 5) | 0, 2];
        var decompressed = new byte[9];
        Assert.True(Lzf.TryDecompress(compressed, decompressed));
        Assert.Equal("abcabcabc", Encoding.ASCII.GetString(decompressed));
    }
}
