using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Protocol;

/// <summary>
/// The runaway: <c>ZRANDMEMBER myzset -9223372036854770000 WITHSCORES</c> (Redis's zset.tcl
/// "ZRANDMEMBER count overflow") grew kv-server to 17 GB resident in a minute. On a kv-server process,
/// every random-with-repetition count Redis refuses gets Redis's error, the server keeps answering,
/// and its resident memory stays where it was. The process runs with a 1 GB GC heap limit so a
/// regression fails this test instead of exhausting the machine.
/// </summary>
public sealed class CountLimitProcessTests
{
    private const string OutOfRange = "-ERR value is out of range";
    private const string NotLong = "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

    private static readonly string[][] Refused =
    [
        ["ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"], ["ZRANDMEMBER", "z", "-9223372036854775808", "WITHSCORES"], ["ZRANDMEMBER", "z", "-9223372036854775808"],
        ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"], ["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"],
        ["ZRANDMEMBER", "zbig", "-9223372036854770000", "WITHSCORES"], ["ZRANDMEMBER", "zbig", "-9223372036854775807", "WITHSCORES"],
        ["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"], ["HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"], ["HRANDFIELD", "h", "-9223372036854775808"],
        ["HRANDFIELD", "hbig", "-4611686018427387904", "WITHVALUES"],
        ["SRANDMEMBER", "s", "-9223372036854775808"], ["SRANDMEMBER", "sbig", "-9223372036854775808"], ["SRANDMEMBER", "si", "-9223372036854775808"],
    ];

    [Fact]
    public async Task RefusedRandomCountsAnswerTheErrorAndAllocateNothing()
    {
        var environment = new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x40000000" };
        await using var server = await ServerProcess.StartKvAsync(environment, "--save", "", "--appendonly", "no");
        await using var c = await RespTestClient.ConnectAsync(server.Port);

        // Both encodings of each type: listpack/intset for the small keys, hashtable/skiplist for the big ones.
        var zbig = new List<object> { "ZADD", "zbig" };
        var hbig = new List<object> { "HSET", "hbig" };
        var sbig = new List<object> { "SADD", "sbig" };
        for (int i = 0; i < 300; i++)
        {
            zbig.AddRange([i, "m" + i]);
            hbig.AddRange(["f" + i, "v"]);
            sbig.Add("m" + i);
        }

        Assert.Equal(":1", (await c.SendAsync("ZADD", "z", "0", "a")).ToString());
        Assert.Equal(":300", (await c.SendAsync([.. zbig])).ToString());
        Assert.Equal(":1", (await c.SendAsync("HSET", "h", "a", "1")).ToString());
        Assert.Equal(":300", (await c.SendAsync([.. hbig])).ToString());
        Assert.Equal(":1", (await c.SendAsync("SADD", "s", "a")).ToString());
        Assert.Equal(":300", (await c.SendAsync([.. sbig])).ToString());
        Assert.Equal(":3", (await c.SendAsync("SADD", "si", "1", "2", "3")).ToString());
        long before = server.ResidentBytes();

        foreach (var command in Refused)
        {
            // LONG_MIN fails the -LONG_MAX..LONG_MAX parse first; the pair forms then refuse |count| > LONG_MAX/2.
            string expected = command[2] == "-9223372036854775808" ? NotLong : OutOfRange;
            await c.WriteCommandAsync([.. command]);
            var reply = await c.ReadReplyAsync(TimeSpan.FromSeconds(10));
            Assert.True(expected == reply.ToString(), $"{string.Join(' ', command)}: {reply}");
            Assert.Equal("+PONG", (await c.SendAsync("PING")).ToString());
        }

        // Another client is served too: nothing is still running.
        await using (var other = await RespTestClient.ConnectAsync(server.Port))
        {
            Assert.Equal(":300", (await other.SendAsync("ZCARD", "zbig")).ToString());
        }

        long grown = server.PeakResidentBytes() - before;
        Assert.True(grown < 64L << 20, $"the process grew by {grown >> 20} MB while refusing the counts");
    }
}
