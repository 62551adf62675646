using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// A dense seeded stream of string and bitmap commands on three keys, compared with redis-server
/// reply by reply: binary values (NUL, 0xFF), wide ranges with BIT/BYTE units, LCS options and many
/// float spellings for INCRBYFLOAT. It complements <see cref="RandomCommandStreamTests"/>, whose
/// twenty keys in four databases meet less often and hold mostly text.
/// </summary>
public sealed class StringBitmapStreamTests : IClassFixture<RedisServerFixture>
{
    private static int Steps => StreamSettings.Steps(1500);
    private readonly RedisServerFixture _fixture;

    public StringBitmapStreamTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [MemberData(nameof(StreamSettings.SeedsAndProtocols), MemberType = typeof(StreamSettings))]
    public async Task RandomStreamMatchesRedis(int seed, int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(seed, protocol);
        string[] keys = [$"c{seed}:a", $"c{seed}:b", $"c{seed}:c"];
        await session.SendBothAsync(["DEL", .. keys]);
        var random = new Random(seed);
        for (int n = 0; n < Steps; n++)
        {
            await session.CompareAsync(Next(random, keys));
        }
    }

    private static object[] Next(Random r, string[] keys)
    {
        string k = keys[r.Next(keys.Length)];
        string Index() => (r.Next(4) switch { 0 => r.Next(-40, 40), 1 => r.Next(-200, 200), 2 => 0, _ => -1 }).ToString(CultureInfo.InvariantCulture);
        string Bit() => r.Next(2).ToString(CultureInfo.InvariantCulture);
        string Small(int max) => r.Next(max).ToString(CultureInfo.InvariantCulture);
        byte[] Value()
        {
            byte[] alphabet = [(byte)'a', (byte)'b', 0, 0xFF, (byte)'x', (byte)'0', (byte)'1'];
            var bytes = new byte[r.Next(13)];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = alphabet[r.Next(alphabet.Length)];
            }

            return bytes;
        }

        string Number() => r.Next(5) switch
        {
            0 => r.Next(-1000000, 1000000).ToString(CultureInfo.InvariantCulture),
            1 => (r.NextDouble() * 2000 - 1000).ToString("F" + r.Next(7), CultureInfo.InvariantCulture),
            2 => $"{r.Next(-99, 99)}e{r.Next(-30, 30)}",
            3 => (r.NextDouble() * 2 - 1).ToString("F" + r.Next(10, 20), CultureInfo.InvariantCulture),
            _ => (r.NextDouble() * 20 - 10).ToString("F3", CultureInfo.InvariantCulture),
        };

        string[] units = ["", "", "BIT", "BYTE", "bit"];
        string unit = units[r.Next(units.Length)];
        object[] WithUnit(params object[] args) => unit.Length == 0 ? args : [.. args, unit];
        return r.Next(22) switch
        {
            0 => ["SETBIT", k, Small(150), Bit()],
            1 => ["GETBIT", k, Small(150)],
            2 => ["SETRANGE", k, Small(30), Value()],
            3 => ["APPEND", k, Value()],
            4 => ["GETRANGE", k, Index(), Index()],
            5 => ["BITCOUNT", k],
            6 => WithUnit("BITCOUNT", k, Index(), Index()),
            7 => ["BITPOS", k, Bit()],
            8 => ["BITPOS", k, Bit(), Index()],
            9 => WithUnit("BITPOS", k, Bit(), Index(), Index()),
            10 => ["BITOP", new[] { "AND", "OR", "XOR" }[r.Next(3)], keys[r.Next(keys.Length)], k, keys[r.Next(keys.Length)], "c:missing"],
            11 => ["BITOP", "NOT", keys[r.Next(keys.Length)], k],
            12 => ["LCS", k, keys[r.Next(keys.Length)], .. new[] { new string[0], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"] }[r.Next(5)]],
            13 => ["GET", k],
            14 => ["STRLEN", k],
            15 => ["SET", k, r.Next(2) == 0 ? Value() : Number()],
            16 => ["INCRBYFLOAT", k, Number()],
            17 => ["INCRBY", k, r.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture)],
            18 => ["GETSET", k, Value()],
            19 => ["MSETNX", k, Value(), keys[r.Next(keys.Length)], Number()],
            20 => ["GETDEL", k],
            _ => ["GETEX", k, "PERSIST"],
        };
    }
}
