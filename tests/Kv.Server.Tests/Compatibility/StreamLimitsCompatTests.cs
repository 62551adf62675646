using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The count and limit arguments of the stream commands at the extremes (LONG_MIN, LONG_MAX, one past
/// them, -1, 0, 1) and the stream loaded from a pre-7.0 DUMP payload: every reply must equal
/// redis-server's byte for byte — what Redis refuses with its error text, what it accepts with the
/// same entries (a count far beyond the data returns what there is and allocates nothing for the rest).
/// </summary>
/// <remarks>
/// Only explicit IDs are used (no <c>*</c>) and XPENDING's extended form runs only where its idle
/// column cannot differ, so every reply is deterministic. Timeouts beyond LLONG_MAX minus the clock
/// are left out on purpose: Redis 7.0.15 overflows the deadline there (undefined behaviour) where
/// kv-server answers "timeout is out of range" as Redis 7.2 does.
/// </remarks>
public sealed class StreamLimitsCompatTests : IClassFixture<RedisServerFixture>
{
    private const string LongMax = "9223372036854775807";
    private const string LongMin = "-9223372036854775808";
    private const string PastLongMax = "9223372036854775808";
    private const string PastLongMin = "-9223372036854775809";
    private const string IdMax = "18446744073709551615-18446744073709551615";

    private static readonly string[][] ThreeEntries = [["XADD", "s", "1-1", "f", "v"], ["XADD", "s", "2-1", "f", "v"], ["XADD", "s", "3-1", "f", "v"]];

    // name -> steps; the steps run on one connection per server, after FLUSHALL and ThreeEntries.
    private static readonly Dictionary<string, string[][]> Cases = new()
    {
        ["XADD MAXLEN and MINID"] =
        [
            ["XADD", "s", "MAXLEN", LongMax, "4-1", "f", "v"], ["XADD", "s", "MAXLEN", "-1", "5-1", "f", "v"], ["XADD", "s", "MAXLEN", LongMin, "5-1", "f", "v"],
            ["XADD", "s", "MAXLEN", PastLongMax, "5-1", "f", "v"], ["XADD", "s", "MAXLEN", "1", "MINID", "1", "5-1", "f", "v"], ["XADD", "s", "MINID", "~", "-1", "5-1", "f", "v"],
            ["XADD", "s", "MINID", "~", "18446744073709551616", "5-1", "f", "v"], ["XADD", "s", "MAXLEN", "=", "3", "5-1", "f", "v"], ["XRANGE", "s", "-", "+"],
        ],
        ["XADD LIMIT"] =
        [
            ["XADD", "s", "MAXLEN", "~", "10", "LIMIT", LongMax, "4-1", "f", "v"], ["XADD", "s", "MAXLEN", "~", "10", "LIMIT", "-1", "5-1", "f", "v"],
            ["XADD", "s", "MAXLEN", "~", "10", "LIMIT", LongMin, "5-1", "f", "v"], ["XADD", "s", "MAXLEN", "~", "10", "LIMIT", PastLongMax, "5-1", "f", "v"],
            ["XADD", "s", "MAXLEN", "~", "0", "LIMIT", "0", "5-1", "f", "v"], ["XADD", "s", "MAXLEN", "1", "LIMIT", "1", "6-1", "f", "v"],
            ["XADD", "s", "MAXLEN", "=", "1", "LIMIT", "1", "6-1", "f", "v"], ["XADD", "s", "MINID", "~", "0", "LIMIT", "1", "6-1", "f", "v"],
            ["XADD", "s", "NOMKSTREAM", "MAXLEN", "0", "7-1", "f", "v"], ["XLEN", "s"], ["XADD", "none", "NOMKSTREAM", "MAXLEN", LongMax, "1-1", "f", "v"],
        ],
        ["XTRIM"] =
        [
            ["XTRIM", "s", "MAXLEN", LongMax], ["XTRIM", "s", "MAXLEN", "-1"], ["XTRIM", "s", "MAXLEN", LongMin], ["XTRIM", "s", "MAXLEN", PastLongMax],
            ["XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", LongMax], ["XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-1"], ["XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"],
            ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "1"], ["XTRIM", "s", "MINID", "~", IdMax, "LIMIT", "0"], ["XTRIM", "s", "MINID", "18446744073709551616"],
            ["XTRIM", "s"], ["XTRIM", "s", "FOO", "1"], ["XLEN", "s"], ["XTRIM", "s", "MINID", IdMax, "LIMIT", "1"], ["XTRIM", "s", "MAXLEN", "0"], ["XLEN", "s"],
        ],
        ["XRANGE and XREVRANGE COUNT"] =
        [
            ["XRANGE", "s", "-", "+", "COUNT", LongMax], ["XRANGE", "s", "-", "+", "COUNT", LongMin], ["XRANGE", "s", "-", "+", "COUNT", PastLongMax],
            ["XRANGE", "s", "-", "+", "COUNT", PastLongMin], ["XRANGE", "s", "-", "+", "COUNT", "-1"], ["XRANGE", "s", "-", "+", "COUNT", "0"],
            ["XRANGE", "s", "-", "+", "COUNT", "1"], ["XRANGE", "s", "-", "+", "COUNT"], ["XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "2"],
            ["XRANGE", "s", "1-1", "1-1", "COUNT", LongMax], ["XRANGE", "s", "(" + IdMax, "+"], ["XRANGE", "s", "-", "(0-0"], ["XRANGE", "s", "18446744073709551616", "+"],
            ["XREVRANGE", "s", "+", "-", "COUNT", LongMax], ["XREVRANGE", "s", "+", "-", "COUNT", LongMin], ["XREVRANGE", "s", "+", "-", "COUNT", "-1"],
            ["XREVRANGE", "s", "+", "-", "COUNT", "0"], ["XREVRANGE", "s", "(" + IdMax, "-", "COUNT", "2"],
        ],
        ["XREAD COUNT"] =
        [
            ["XREAD", "COUNT", LongMax, "STREAMS", "s", "0"], ["XREAD", "COUNT", LongMin, "STREAMS", "s", "0"], ["XREAD", "COUNT", "-1", "STREAMS", "s", "0"],
            ["XREAD", "COUNT", "0", "STREAMS", "s", "0"], ["XREAD", "COUNT", PastLongMax, "STREAMS", "s", "0"], ["XREAD", "COUNT", "1", "STREAMS", "s", "$"],
            ["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"], ["XREAD", "BLOCK", LongMin, "STREAMS", "s", "0"], ["XREAD", "BLOCK", PastLongMax, "STREAMS", "s", "0"],
            ["XREAD", "STREAMS", "s", IdMax], ["XREAD", "STREAMS", "s", "18446744073709551616"],
        ],
        ["XREADGROUP COUNT"] =
        [
            ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "COUNT", LongMin, "STREAMS", "s", ">"], ["XGROUP", "SETID", "s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "c", "COUNT", "-1", "STREAMS", "s", ">"], ["XGROUP", "SETID", "s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "c", "COUNT", "0", "STREAMS", "s", ">"], ["XGROUP", "SETID", "s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "c", "COUNT", PastLongMax, "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "c", "COUNT", LongMax, "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", "0"], ["XREADGROUP", "GROUP", "g", "c", "COUNT", LongMax, "STREAMS", "s", "0"],
            ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "c", "BLOCK", PastLongMax, "STREAMS", "s", ">"],
            ["XINFO", "GROUPS", "s"],
        ],
        ["XPENDING count and IDLE"] =
        [
            ["XGROUP", "CREATE", "s", "g", "$"], ["XPENDING", "s", "g", "-", "+", LongMax], ["XPENDING", "s", "g", "-", "+", LongMin], ["XPENDING", "s", "g", "-", "+", "-1"],
            ["XPENDING", "s", "g", "-", "+", "0"], ["XPENDING", "s", "g", "-", "+", PastLongMax], ["XPENDING", "s", "g", "IDLE", LongMax, "-", "+", "10"],
            ["XPENDING", "s", "g", "IDLE", LongMin, "-", "+", "10"], ["XPENDING", "s", "g", "IDLE", PastLongMax, "-", "+", "10"], ["XPENDING", "s", "g", "IDLE", "abc", "-", "+", "10"],
            ["XPENDING", "s", "g", "-", "+", "abc"], ["XPENDING", "s", "g", "-", "+"], ["XPENDING", "s", "g"],
        ],
        ["XAUTOCLAIM COUNT and min-idle"] =
        [
            ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
            ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", LongMax], ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", LongMin],
            ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", "-1"], ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", "0"],
            ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", "2147483648"], ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", "4611686018427387903"],
            ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", "4611686018427387904"], ["XAUTOCLAIM", "s", "g", "c2", LongMax, "0", "COUNT", PastLongMax],
            ["XAUTOCLAIM", "s", "g", "c2", "-1", "0"], ["XAUTOCLAIM", "s", "g", "c2", LongMin, "0", "COUNT", "1", "JUSTID"],
            ["XAUTOCLAIM", "s", "g", "c2", "0", IdMax, "COUNT", "1"], ["XAUTOCLAIM", "s", "g", "c2", "0", "(0", "COUNT", "1", "JUSTID"],
        ],
        ["XCLAIM options"] =
        [
            ["XGROUP", "CREATE", "s", "g", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
            ["XCLAIM", "s", "g", "c3", LongMax, "1-1"], ["XCLAIM", "s", "g", "c3", "-1", "1-1", "JUSTID"], ["XCLAIM", "s", "g", "c3", "0", "1-1", "IDLE", LongMin, "JUSTID"],
            ["XCLAIM", "s", "g", "c3", "0", "1-1", "TIME", LongMin, "JUSTID"], ["XCLAIM", "s", "g", "c3", "0", "1-1", "RETRYCOUNT", "-1"],
            ["XCLAIM", "s", "g", "c3", "0", "1-1", "RETRYCOUNT", LongMax, "JUSTID"], ["XCLAIM", "s", "g", "c3", "0", "1-1", "RETRYCOUNT", PastLongMax],
            ["XCLAIM", "s", "g", "c3", "0", "1-1", "LASTID", IdMax, "JUSTID"], ["XCLAIM", "s", "g", "c3", "0", "1-1", "IDLE", PastLongMax],
            ["XINFO", "GROUPS", "s"],
        ],
        ["XINFO STREAM FULL COUNT"] =
        [
            ["XINFO", "STREAM", "s", "FULL", "COUNT", LongMax], ["XINFO", "STREAM", "s", "FULL", "COUNT", LongMin], ["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"],
            ["XINFO", "STREAM", "s", "FULL", "COUNT", "0"], ["XINFO", "STREAM", "s", "FULL", "COUNT", "1"], ["XINFO", "STREAM", "s", "FULL", "COUNT", PastLongMax],
            ["XINFO", "STREAM", "s", "FULL", "COUNT"], ["XINFO", "STREAM", "s", "COUNT", "1"],
        ],
        ["XSETID ENTRIESADDED and MAXDELETEDID"] =
        [
            ["XSETID", "s", "3-1", "ENTRIESADDED", LongMax], ["XSETID", "s", "3-1", "ENTRIESADDED", "-1"], ["XSETID", "s", "3-1", "ENTRIESADDED", LongMin],
            ["XSETID", "s", "3-1", "ENTRIESADDED", "2"], ["XSETID", "s", "3-1", "ENTRIESADDED", PastLongMax], ["XSETID", "s", "3-1", "ENTRIESADDED", "3", "MAXDELETEDID", IdMax],
            ["XSETID", "s", "3-1", "ENTRIESADDED", "3", "MAXDELETEDID", "2-1"], ["XSETID", "s", "3-1", "MAXDELETEDID", "2-1"], ["XSETID", "s", IdMax, "ENTRIESADDED", "1"],
            ["XSETID", "s", IdMax, "ENTRIESADDED", "3"], ["XINFO", "STREAM", "s"], ["XADD", "s", "*", "f", "v"], ["XSETID", "s", "1-1"],
        ],
        ["XGROUP ENTRIESREAD"] =
        [
            ["XGROUP", "CREATE", "s", "g1", "0", "ENTRIESREAD", LongMax], ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-1"], ["XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-2"],
            ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", LongMin], ["XGROUP", "CREATE", "s", "g5", "0", "ENTRIESREAD", PastLongMax],
            ["XGROUP", "SETID", "s", "g2", "0", "ENTRIESREAD", LongMax], ["XGROUP", "SETID", "s", "g2", "0", "ENTRIESREAD", "-2"], ["XGROUP", "SETID", "s", "g2", "$", "ENTRIESREAD", "0"],
            ["XINFO", "GROUPS", "s"],
        ],
        ["wrong type before the count is parsed"] =
        [
            ["SET", "str", "v"], ["XADD", "str", "MAXLEN", "-1", "1-1", "f", "v"], ["XTRIM", "str", "MAXLEN", "-1"], ["XRANGE", "str", "-", "+", "COUNT", "-1"],
            ["XINFO", "STREAM", "str", "FULL", "COUNT", "-1"], ["XAUTOCLAIM", "str", "g", "c", "0", "0", "COUNT", "0"], ["XPENDING", "str", "g", "-", "+", "-1"],
            ["XSETID", "str", "1-1", "ENTRIESADDED", "-1"], ["XREADGROUP", "GROUP", "g", "c", "COUNT", "-1", "STREAMS", "str", ">"], ["XREAD", "COUNT", "-1", "STREAMS", "str", "0"],
        ],
    };

    // A DUMP of a stream with two consumer groups written by Redis 5 (RDB 9, before groups stored
    // entries_read), from Redis's stream-cgroups.tcl: XADD 1-0..6-0, XDEL 3-0, XGROUP CREATE g1 0 and
    // g2 0, XREADGROUP GROUP g1 c11 COUNT 4, XTRIM MAXLEN = 2.
    private static readonly byte[] LegacyStreamDump = Convert.FromHexString(
        "0F011000000000000000010000000000000000C3404A4057165700000023000201040101018464617461050001030100" +
        "20010381610204200A0001400A0062600A0002400A0063600A4022018164200A4039200A0065600A0005400A0066200A" +
        "00FF02060002026731050004000000000000000100000000000000003EF783437A010000010000000000000002000000" +
        "00000000003EF783437A01000001000000000000000400000000000000003EF783437A01000001000000000000000500" +
        "000000000000003EF783437A0100000101036331313EF783437A01000004000000000000000100000000000000000000" +
        "000000000002000000000000000000000000000000040000000000000000000000000000000500000000000000000267" +
        "320000000009003D52EF6867521DFA");

    private readonly RedisServerFixture _fixture;

    public StreamLimitsCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [RedisTheory]
    [MemberData(nameof(CaseNames))]
    public async Task ExtremesGetTheSameRepliesAsRedis(string name)
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        foreach (var step in ThreeEntries)
        {
            await session.CompareAsync([.. step]);
        }

        foreach (var step in Cases[name])
        {
            await session.CompareAsync([.. step]);
        }
    }

    /// <summary>
    /// Redis's rdbLoadObject estimates a group's entries_read when the RDB (before version 10) has none:
    /// g1 read up to the first entry left (1), g2 nothing (0); kv-server reported nil for both.
    /// </summary>
    [RedisFact]
    public async Task PreSevenDumpGetsEstimatedEntriesRead()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["RESTORE", "x", "0", LegacyStreamDump]);
        var groups = await session.CompareAsync(["XINFO", "GROUPS", "x"]);
        Assert.Equal(1, FieldOf(groups.Items![0], "entries-read").Integer);
        Assert.Equal(0, FieldOf(groups.Items![1], "entries-read").Integer);
        await session.CompareAsync(["XINFO", "STREAM", "x", "FULL"]);
        await session.CompareAsync(["XADD", "x", "7-0", "data", "g"]);
        await session.CompareAsync(["XINFO", "GROUPS", "x"]);
    }

    private static RespReply FieldOf(RespReply map, string field)
    {
        for (int i = 0; i + 1 < map.Items!.Count; i += 2)
        {
            if (map.Items[i].Text == field)
            {
                return map.Items[i + 1];
            }
        }

        throw new InvalidOperationException($"no {field} in the reply");
    }
}
