using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// What a blocked command leaves in INFO (commandstats, errorstats, total_error_replies) once it is
/// served with an error, unblocked or timed out, next to a real redis-server: Redis counts the call
/// when the command blocks and, on unblocking (updateStatsOnUnblock), a failed call and the error's
/// code when the reply is an error. Its own class, so its servers see no other test's errors.
/// </summary>
public sealed partial class BlockedClientStatsCompatTests : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly RedisServerFixture _fixture;

    public BlockedClientStatsCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    /// <summary>Redis's stream-cgroups.tcl "XGROUP DESTROY should unblock XREADGROUP with -NOGROUP" (kv-server counted calls=2, failed_calls=0 and no NOGROUP).</summary>
    [RedisFact]
    public async Task XGroupDestroyCountsTheNoGroupReply()
    {
        await using var admin = await _fixture.OpenSessionAsync();
        await using var blocked = await _fixture.OpenSessionAsync();
        await admin.SendBothAsync(["FLUSHALL"]);
        await admin.SendBothAsync(["CONFIG", "RESETSTAT"]);
        await admin.CompareAsync(["XGROUP", "CREATE", "bs:s", "g", "$", "MKSTREAM"]);
        await WriteBothAsync(blocked, ["XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "bs:s", ">"]);
        await WaitForBlockedBothAsync(admin, 1);
        await admin.CompareAsync(["XGROUP", "DESTROY", "bs:s", "g"]);
        var reply = await blocked.CompareReadAsync("XREADGROUP unblocked by XGROUP DESTROY");
        Assert.StartsWith("NOGROUP", reply.Text);
        await CompareStatsAsync(admin, "xreadgroup", "NOGROUP");
    }

    /// <summary>XREADGROUP woken by its key turning into a string answers -UNBLOCKED; CLIENT UNBLOCK … ERROR too; a timeout is no error.</summary>
    [RedisFact]
    public async Task UnblockedAndTimedOutCallsAreCountedAsRedisCountsThem()
    {
        await using var admin = await _fixture.OpenSessionAsync();
        await using var blocked = await _fixture.OpenSessionAsync();
        await admin.SendBothAsync(["FLUSHALL"]);
        await admin.SendBothAsync(["CONFIG", "RESETSTAT"]);

        await admin.CompareAsync(["XGROUP", "CREATE", "bs:t", "g", "$", "MKSTREAM"]);
        await WriteBothAsync(blocked, ["XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "bs:t", ">"]);
        await WaitForBlockedBothAsync(admin, 1);
        await admin.CompareAsync(["SET", "bs:t", "v"]);
        await blocked.CompareReadAsync("XREADGROUP unblocked by SET");

        var (kvId, redisId) = await blocked.SendBothAsync(["CLIENT", "ID"]);
        await WriteBothAsync(blocked, ["BLPOP", "bs:l", "0"]);
        await WaitForBlockedBothAsync(admin, 1);
        var kvUnblock = await admin.Kv.SendAsync("CLIENT", "UNBLOCK", kvId.Integer.ToString(CultureInfo.InvariantCulture), "ERROR");
        var redisUnblock = await admin.Redis.SendAsync("CLIENT", "UNBLOCK", redisId.Integer.ToString(CultureInfo.InvariantCulture), "ERROR");
        Assert.Equal(redisUnblock.Integer, kvUnblock.Integer);
        await blocked.CompareReadAsync("BLPOP unblocked by CLIENT UNBLOCK ERROR");

        await blocked.CompareAsync(["BRPOP", "bs:l", "0.01"]);
        await blocked.CompareAsync(["BLMOVE", "bs:l", "bs:m", "LEFT", "LEFT", "0.01"]);

        await CompareStatsAsync(admin, "xreadgroup", "UNBLOCKED");
        await CompareStatsAsync(admin, "blpop", "UNBLOCKED");
        await CompareStatsAsync(admin, "brpop", "UNBLOCKED");
        await CompareStatsAsync(admin, "blmove", "UNBLOCKED");
    }

    /// <summary>Errors are counted by code wherever they are written: rejections, handler errors, unknown commands.</summary>
    [RedisFact]
    public async Task ErrorStatsCountEachCode()
    {
        await using var s = await _fixture.OpenSessionAsync();
        await s.SendBothAsync(["FLUSHALL"]);
        await s.SendBothAsync(["CONFIG", "RESETSTAT"]);
        await s.CompareAsync(["SET", "bs:str", "v"]);
        await s.CompareAsync(["LPUSH", "bs:str", "x"]);
        await s.CompareAsync(["LPUSH", "bs:str", "x"]);
        await s.CompareAsync(["NOSUCHCOMMAND"]);
        await s.CompareAsync(["GET"]);
        await s.CompareAsync(["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "bs:str", ">"]);
        await s.CompareAsync(["XGROUP", "CREATE", "bs:x", "g", "$", "MKSTREAM"]);
        await s.CompareAsync(["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "bs:x", ">"]);
        await s.CompareAsync(["INCR", "bs:str"]);
        await CompareStatsAsync(s, "lpush", "WRONGTYPE");
        await s.CompareAsync(["CONFIG", "RESETSTAT"]);
        await s.CompareAsync(["INFO", "errorstats"]);
    }

    /// <summary>
    /// An error inside a script is counted once, where it happens (scripting.tcl "Consistent eval error
    /// reporting"): EVAL relaying a redis.call error does not count it again; a script's own error does.
    /// </summary>
    [RedisTheory]
    [InlineData("return redis.call('select', 99)", "0", "select", "ERR")]
    [InlineData("local t = redis.pcall('select', 99) return t['err'] and 1 or 0", "0", "select", "ERR")]
    [InlineData("return redis.pcall('select', 99)", "0", "select", "ERR")]
    [InlineData("return redis.call('lpush', KEYS[1], 'x')", "1", "lpush", "WRONGTYPE")]
    [InlineData("return redis.call('nosuchcommand')", "0", "eval", "ERR")]
    [InlineData("return redis.call('get')", "0", "get", "ERR")]
    [InlineData("return redis.error_reply('MY_CODE custom')", "0", "eval", "MY_CODE")]
    [InlineData("return redis.pcall('get', 'a', 'b')", "0", "get", "ERR")]
    public async Task ScriptErrorsAreCountedOnce(string script, string keys, string command, string code)
    {
        await using var s = await _fixture.OpenSessionAsync();
        await s.SendBothAsync(["FLUSHALL"]);
        await s.SendBothAsync(["SET", "es:str", "v"]);
        await s.SendBothAsync(["CONFIG", "RESETSTAT"]);
        await s.CompareAsync(keys == "0" ? ["EVAL", script, "0"] : ["EVAL", script, "1", "es:str"]);
        await CompareStatsAsync(s, command, code);
        var (kvStats, redisStats) = await s.SendBothAsync(["INFO", "commandstats"]);
        Assert.Equal(Counts(redisStats.Text!, "eval"), Counts(kvStats.Text!, "eval"));
    }

    private static async Task WriteBothAsync(CompatSession session, object[] args)
    {
        await session.Kv.WriteCommandAsync(args);
        await session.Redis.WriteCommandAsync(args);
    }

    private static async Task WaitForBlockedBothAsync(CompatSession admin, int count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (kv, redis) = await admin.SendBothAsync(["INFO", "clients"]);
            int kvBlocked = Field(kv.Text!, "blocked_clients");
            int redisBlocked = Field(redis.Text!, "blocked_clients");
            if (kvBlocked == count && redisBlocked == count)
            {
                return;
            }

            Assert.True(watch.Elapsed < Deadline, $"expected {count} blocked clients: kv-server has {kvBlocked}, redis-server {redisBlocked}");
            await Task.Delay(5);
        }
    }

    // INFO errorstats must match line for line; of commandstats the calls and the rejected and failed
    // counts (not the microseconds); and total_error_replies.
    private static async Task CompareStatsAsync(CompatSession session, string command, string expectedCode)
    {
        var (kvErrors, redisErrors) = await session.SendBothAsync(["INFO", "errorstats"]);
        Assert.Contains($"errorstat_{expectedCode}:count=", redisErrors.Text!, StringComparison.Ordinal);
        Assert.Equal(redisErrors.Text, kvErrors.Text);

        var (kvStats, redisStats) = await session.SendBothAsync(["INFO", "commandstats"]);
        Assert.Equal(Counts(redisStats.Text!, command), Counts(kvStats.Text!, command));

        var (kvTotal, redisTotal) = await session.SendBothAsync(["INFO", "stats"]);
        Assert.Equal(Field(redisTotal.Text!, "total_error_replies"), Field(kvTotal.Text!, "total_error_replies"));
    }

    private static string Counts(string info, string command)
    {
        var match = CommandStatLine().Match(info.Replace("\r", "", StringComparison.Ordinal));
        while (match.Success && match.Groups["name"].Value != command)
        {
            match = match.NextMatch();
        }

        return match.Success ? $"{command}: calls={match.Groups["calls"].Value} {match.Groups["rest"].Value}" : $"{command}: none";
    }

    private static int Field(string info, string name)
    {
        int at = info.IndexOf(name + ":", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no {name} in INFO");
        int start = at + name.Length + 1;
        int end = info.IndexOf('\r', start);
        return int.Parse(info[start..end], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^cmdstat_(?<name>[^:]+):calls=(?<calls>\d+),usec=\d+,usec_per_call=[\d.]+,(?<rest>rejected_calls=\d+,failed_calls=\d+)$", RegexOptions.Multiline)]
    private static partial Regex CommandStatLine();
}
