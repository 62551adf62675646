using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// BITFIELD and BITFIELD_RO against redis-server: their errors in Redis's order (syntax, OVERFLOW
/// type, field type, offset, value; BITFIELD_RO's write refusal, WRONGTYPE), the extremes of every
/// type, offset and value, and a seeded stream of GET/SET/INCRBY/OVERFLOW mixes on a few keys with
/// the resulting strings read back. Every reply must be the same byte for byte.
/// </summary>
public sealed class BitFieldCompatTests : IClassFixture<RedisServerFixture>
{
    private static readonly string[] Types = ["i1", "u1", "i5", "u7", "i8", "u8", "i13", "u16", "i32", "u32", "i63", "u63", "i64"];

    private static readonly string[] Values =
    [
        "0", "1", "-1", "2", "-2", "100", "-100", "127", "128", "-128", "-129", "255", "256", "65535", "2147483647", "-2147483648",
        "4294967296", "4611686018427387903", "-4611686018427387904", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
    ];

    private static readonly string[][] Cases =
    [
        ["BITFIELD", "k"], ["BITFIELD", "k", "GET"], ["BITFIELD", "k", "GET", "u8"], ["BITFIELD", "k", "FOO", "u8", "0"], ["BITFIELD", "k", "SET", "u8", "0"],
        ["BITFIELD", "k", "OVERFLOW"], ["BITFIELD", "k", "OVERFLOW", "MAYBE", "GET", "u8", "0"], ["BITFIELD", "k", "overflow", "sat", "get", "u8", "0"],
        ["BITFIELD", "k", "GET", "u64", "0"], ["BITFIELD", "k", "GET", "i65", "0"], ["BITFIELD", "k", "GET", "i0", "0"], ["BITFIELD", "k", "GET", "U8", "0"],
        ["BITFIELD", "k", "GET", "u", "0"], ["BITFIELD", "k", "GET", "u-1", "0"], ["BITFIELD", "k", "GET", "x8", "0"], ["BITFIELD", "k", "GET", "u08", "0"],
        ["BITFIELD", "k", "GET", "u8", "-1"], ["BITFIELD", "k", "GET", "u8", "#-1"], ["BITFIELD", "k", "GET", "u8", "#"], ["BITFIELD", "k", "GET", "u8", "x"],
        ["BITFIELD", "k", "GET", "u8", "4294967296"], ["BITFIELD", "k", "GET", "u8", "4294967295"], ["BITFIELD", "k", "GET", "u8", "#536870911"], ["BITFIELD", "k", "GET", "u8", "#536870912"],
        ["BITFIELD", "k", "GET", "u8", "9223372036854775807"], ["BITFIELD", "k", "GET", "u8", "-9223372036854775808"], ["BITFIELD", "k", "GET", "i64", "#144115188075855872"],
        ["BITFIELD", "k", "GET", "i32", "#288230376151711744"], ["BITFIELD", "k", "GET", "i64", "#288230376151711744"], ["BITFIELD", "k", "GET", "u2", "#4611686018427387904"],
        ["BITFIELD", "k", "SET", "u8", "0", "x"], ["BITFIELD", "k", "SET", "u8", "0", "9223372036854775808"], ["BITFIELD", "k", "INCRBY", "u8", "0", "1.5"],
        ["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u8", "-1"], ["EXISTS", "k"],
        ["BITFIELD_RO", "k", "GET", "u8", "0"], ["BITFIELD_RO", "k", "SET", "u8", "0", "1"], ["BITFIELD_RO", "k", "OVERFLOW", "FAIL", "GET", "i8", "0"], ["BITFIELD_RO", "k", "INCRBY", "u8", "0"], ["EXISTS", "k"],
        ["SET", "k", "\u00ff\u0001abc"], ["BITFIELD", "k", "GET", "i8", "0", "GET", "u8", "0", "GET", "i64", "0", "GET", "u63", "1", "GET", "i3", "45"], ["BITFIELD_RO", "k", "GET", "u16", "#2"],
        ["SET", "n", "12345"], ["BITFIELD", "n", "GET", "u8", "0", "INCRBY", "u8", "0", "1"], ["GET", "n"],
        ["LPUSH", "l", "a"], ["BITFIELD", "l", "GET", "u8", "0"], ["BITFIELD_RO", "l", "GET", "u8", "0"], ["BITFIELD", "l", "SET", "u8", "0", "1"], ["BITFIELD", "l", "SET", "u8", "-1", "1"],
        ["BITFIELD", "nokey", "GET", "u8", "0"], ["BITFIELD", "w", "SET", "i8", "#3", "-1", "OVERFLOW", "FAIL", "INCRBY", "i8", "#3", "-128", "OVERFLOW", "SAT", "INCRBY", "i8", "#3", "-128"], ["GET", "w"],
        ["BITFIELD", "w2", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "256"], ["EXISTS", "w2"], ["STRLEN", "w2"],
        ["BITFIELD", "w3", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807"],
        ["BITFIELD", "w3", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807"], ["GET", "w3"],
        ["BITFIELD", "w4", "SET", "u63", "0", "-1", "INCRBY", "u63", "0", "1", "OVERFLOW", "SAT", "SET", "u63", "0", "-1", "INCRBY", "u63", "0", "-9223372036854775808"], ["GET", "w4"],
    ];

    private readonly RedisServerFixture _fixture;

    public BitFieldCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisFact]
    public async Task ErrorsAndExtremesMatchRedis()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        foreach (var step in Cases)
        {
            await session.CompareAsync([.. step]);
        }

        // Every type with every extreme value, set then incremented, in each overflow mode.
        foreach (string mode in new[] { "WRAP", "SAT", "FAIL" })
        {
            foreach (string type in Types)
            {
                foreach (string value in Values)
                {
                    await session.CompareAsync(["BITFIELD", "e", "OVERFLOW", mode, "SET", type, "3", value, "INCRBY", type, "3", value, "INCRBY", type, "3", value, "GET", type, "3"]);
                }
            }

            await session.CompareAsync(["GET", "e"]);
        }
    }

    [RedisTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SeededStreamMatchesRedis(int seed)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        string[] keys = [$"bf{seed}:a", $"bf{seed}:b"];
        await session.SendBothAsync(["DEL", .. keys]);
        var r = new Random(seed);
        for (int step = 0; step < 400; step++)
        {
            string key = keys[r.Next(keys.Length)];
            if (r.Next(10) == 0)
            {
                await session.CompareAsync(["GET", key]);
                continue;
            }

            var args = new List<object> { r.Next(6) == 0 ? "BITFIELD_RO" : "BITFIELD", key };
            for (int n = r.Next(1, 5); n > 0; n--)
            {
                string type = Types[r.Next(Types.Length)];
                string offset = r.Next(4) == 0 ? "#" + r.Next(8).ToString(CultureInfo.InvariantCulture) : r.Next(80).ToString(CultureInfo.InvariantCulture);
                string value = r.Next(3) == 0 ? Values[r.Next(Values.Length)] : r.Next(-300, 300).ToString(CultureInfo.InvariantCulture);
                switch (r.Next(6))
                {
                    case 0: args.AddRange(["OVERFLOW", new[] { "WRAP", "SAT", "FAIL" }[r.Next(3)]]); break;
                    case 1 or 2: args.AddRange(["GET", type, offset]); break;
                    case 3: args.AddRange(["SET", type, offset, value]); break;
                    default: args.AddRange(["INCRBY", type, offset, value]); break;
                }
            }

            await session.CompareAsync([.. args]);
        }

        foreach (string key in keys)
        {
            await session.CompareAsync(["GET", key]);
        }
    }
}
