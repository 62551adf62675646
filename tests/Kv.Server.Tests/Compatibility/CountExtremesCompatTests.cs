using System.Globalization;
using System.Numerics;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Every count, range, offset and size argument in the string, bitmap, list, set, hash, sorted set
/// and keyspace commands, sent with the integer extremes (LONG_MIN and LONG_MAX and one either side,
/// INT_MIN/INT_MAX and one either side, UINT_MAX, 2^32, ±LONG_MAX/2 and one beyond, -1, 0, 1) to
/// kv-server and redis-server on small keys: each reply (mostly Redis's range errors, else the
/// clamped result) must be the same byte for byte. Random commands read one-element keys and scans
/// small keys Redis returns whole, so their replies are deterministic; SCAN compares whole iterations.
/// </summary>
/// <remarks>
/// A value Redis accepts but answers with an unbounded reply or allocation is left out for that
/// command (it would take the reference redis-server down too): a negative SRANDMEMBER, HRANDFIELD
/// or ZRANDMEMBER count beyond -1000 that is in Redis's range, and SETBIT offsets that make a 512 MB
/// string. <see cref="Protocol.CountLimitProcessTests"/> sends the refused extremes to a kv-server
/// process and watches its memory.
/// </remarks>
public sealed class CountExtremesCompatTests : IClassFixture<RedisServerFixture>
{
    private const string Placeholder = "N";

    private static readonly BigInteger LongMax = long.MaxValue;

    private static readonly string[] Extremes =
    [
        "-9223372036854775809", "-9223372036854775808", "-9223372036854775807", "-9223372036854770000",
        "-4611686018427387904", "-4611686018427387903", "-4294967296", "-2147483649", "-2147483648", "-2147483647",
        "-1", "0", "1", "2147483646", "2147483647", "2147483648", "4294967295", "4294967296",
        "4611686018427387903", "4611686018427387904", "9223372036854775806", "9223372036854775807", "9223372036854775808",
    ];

    // family -> command templates; N is replaced by each extreme in turn.
    private static readonly Dictionary<string, string[][]> Cases = new()
    {
        ["list ranges and indexes"] =
        [
            ["LRANGE", "l", "N", "1"], ["LRANGE", "l", "0", "N"], ["LRANGE", "l", "N", "N"], ["LINDEX", "l", "N"], ["LSET", "l", "N", "x"],
            ["LTRIM", "l", "N", "1"], ["LTRIM", "l", "0", "N"], ["LRANGE", "l", "0", "-1"],
        ],
        ["list counts"] =
        [
            ["LPOS", "l", "a", "RANK", "N"], ["LPOS", "l", "a", "COUNT", "N"], ["LPOS", "l", "a", "MAXLEN", "N"], ["LPOS", "l", "b", "RANK", "N", "COUNT", "N", "MAXLEN", "N"],
            ["LPOP", "l", "N"], ["RPOP", "l", "N"], ["LPOP", "nokey", "N"], ["LMPOP", "1", "l", "LEFT", "COUNT", "N"], ["LMPOP", "N", "l", "LEFT"],
            ["BLMPOP", "0.01", "1", "nokey", "RIGHT", "COUNT", "N"], ["BLMPOP", "0.01", "N", "l", "RIGHT"],
        ],
        ["set counts"] =
        [
            ["SPOP", "s1", "N"], ["SPOP", "nokey", "N"], ["SRANDMEMBER", "s1", "N"], ["SRANDMEMBER", "nokey", "N"],
            ["SINTERCARD", "1", "st", "LIMIT", "N"], ["SINTERCARD", "N", "st"], ["SSCAN", "si", "0", "COUNT", "N"], ["SSCAN", "si", "0", "MATCH", "*", "COUNT", "N"],
        ],
        ["hash counts"] =
        [
            ["HRANDFIELD", "h1", "N"], ["HRANDFIELD", "h1", "N", "WITHVALUES"], ["HRANDFIELD", "nokey", "N"], ["HRANDFIELD", "nokey", "N", "WITHVALUES"],
            ["HSCAN", "h", "0", "COUNT", "N"], ["HINCRBY", "h", "n", "N"],
        ],
        ["sorted set random and pop counts"] =
        [
            ["ZRANDMEMBER", "z1", "N"], ["ZRANDMEMBER", "z1", "N", "WITHSCORES"], ["ZRANDMEMBER", "nokey", "N", "WITHSCORES"], ["ZRANDMEMBER", "st", "N", "WITHSCORES"],
            ["ZPOPMIN", "z", "N"], ["ZPOPMAX", "z", "N"], ["ZMPOP", "1", "z", "MIN", "COUNT", "N"], ["ZMPOP", "N", "z", "MAX"],
            ["BZMPOP", "0.01", "1", "nokey", "MIN", "COUNT", "N"], ["ZSCAN", "z", "0", "COUNT", "N"],
        ],
        ["sorted set ranges and limits"] =
        [
            ["ZRANGE", "z", "N", "1"], ["ZRANGE", "z", "0", "N", "WITHSCORES"], ["ZREVRANGE", "z", "N", "N"],
            ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "N", "2"], ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "N"],
            ["ZRANGE", "z", "-", "+", "BYLEX", "REV", "LIMIT", "N", "N"], ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "N"],
            ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "N", "1"], ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "N", "1"],
            ["ZRANGESTORE", "dst", "z", "N", "N"], ["ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "N", "N"], ["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "N"],
            ["ZREMRANGEBYRANK", "z", "N", "N"], ["ZREMRANGEBYRANK", "z", "0", "N"],
            ["ZINTERCARD", "1", "z", "LIMIT", "N"], ["ZINTERCARD", "N", "z"], ["ZUNIONSTORE", "dst", "N", "z"], ["ZINTER", "1", "z", "WEIGHTS", "N", "WITHSCORES"],
        ],
        ["string ranges and offsets"] =
        [
            ["GETRANGE", "s", "N", "N"], ["GETRANGE", "s", "0", "N"], ["GETRANGE", "s", "N", "-1"], ["SUBSTR", "s", "N", "N"], ["SUBSTR", "s", "0", "N"],
            ["SETRANGE", "s", "N", "x"], ["SETRANGE", "nokey", "N", ""], ["SETRANGE", "s", "N", ""], ["INCRBY", "n", "N"], ["DECRBY", "n", "N"], ["INCRBY", "nokey", "N"],
        ],
        ["bit offsets and ranges"] =
        [
            ["SETBIT", "b", "N", "1"], ["GETBIT", "s", "N"], ["BITCOUNT", "s", "N", "N"], ["BITCOUNT", "s", "0", "N"], ["BITCOUNT", "s", "N", "-1", "BIT"],
            ["BITPOS", "s", "1", "N"], ["BITPOS", "s", "0", "0", "N"], ["BITPOS", "s", "1", "N", "-1", "BIT"], ["BITPOS", "s", "0", "0", "N", "BIT"],
        ],
        ["keyspace counts and times"] =
        [
            ["SCAN", "0", "COUNT", "N"], ["SCAN", "0", "COUNT", "N", "TYPE", "string"], ["EXPIRE", "s", "N"], ["PEXPIRE", "s", "N"], ["EXPIREAT", "s", "N"],
            ["PEXPIREAT", "s", "N", "NX"], ["SET", "s", "v", "EX", "N"], ["SET", "s", "v", "PXAT", "N"], ["GETEX", "s", "PX", "N"], ["SETEX", "s", "N", "v"],
            ["PSETEX", "s", "N", "v"], ["SELECT", "N"], ["MOVE", "s", "N"], ["COPY", "s", "s2", "DB", "N"], ["SWAPDB", "0", "N"],
        ],
    };

    private readonly RedisServerFixture _fixture;

    public CountExtremesCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [RedisTheory]
    [MemberData(nameof(CaseNames))]
    public async Task ExtremeCountsGetRedisReplies(string name)
    {
        await using var session = await _fixture.OpenSessionAsync();
        foreach (var template in Cases[name])
        {
            foreach (string value in Extremes)
            {
                if (!SafeOnRedis(template, value))
                {
                    continue;
                }

                await ResetAsync(session);
                object[] command = [.. template.Select(a => a == Placeholder ? value : a)];
                if (template[0] == "SCAN")
                {
                    // Cursors are implementation details: the keys of a whole iteration (or the error) must agree.
                    await session.CompareScanAsync(command[2..]);
                }
                else
                {
                    await session.CompareAsync(command);
                }
            }
        }
    }

    private static async Task ResetAsync(CompatSession session)
    {
        string[][] setup =
        [
            ["FLUSHALL"], ["RPUSH", "l", "a", "b", "c", "a"], ["SADD", "st", "a", "b", "c"], ["SADD", "s1", "a"], ["SADD", "si", "1", "2", "3"], ["HSET", "h", "f1", "v1", "f2", "v2", "n", "5"],
            ["HSET", "h1", "f1", "v1"], ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z1", "1", "a"], ["SET", "s", "hello world"], ["SET", "n", "10"],
        ];
        foreach (var command in setup)
        {
            await session.SendBothAsync(command);
        }
    }

    // False where Redis accepts the value but would reply or allocate without bound (see remarks).
    private static bool SafeOnRedis(string[] template, string value)
    {
        var n = BigInteger.Parse(value, CultureInfo.InvariantCulture);
        string command = template[0];
        if (command is "SRANDMEMBER" or "HRANDFIELD" or "ZRANDMEMBER")
        {
            bool pairs = template.Length == 4;
            bool refused = n < -LongMax || n > LongMax || (pairs && BigInteger.Abs(n) > LongMax / 2);
            return n >= -1000 || refused || template[1] == "nokey" || template[1] == "st";
        }

        if (command == "SETBIT")
        {
            return n < 0 || n >= uint.MaxValue + BigInteger.One || n <= 1;
        }

        return true;
    }
}
