using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>Bitmap commands over a socket; expected replies taken from redis-server 7.0.15.</summary>
public sealed class BitCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public BitCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SetBitAndGetBit()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":0", "SETBIT", "sb:k", "7", "1");
        await c.Expect("$\u0001", "GET", "sb:k");
        await c.Expect(":1", "SETBIT", "sb:k", "7", "1");
        await c.Expect(":1", "SETBIT", "sb:k", "7", "0");
        await c.Expect(":0", "SETBIT", "sb:k", "100", "1");
        await c.Expect(":13", "STRLEN", "sb:k");
        await c.Expect(":1", "GETBIT", "sb:k", "100");
        await c.Expect(":0", "GETBIT", "sb:k", "101");
        await c.Expect(":0", "GETBIT", "sb:k", "10000");
        await c.Expect(":0", "GETBIT", "sb:none", "0");

        // SETBIT 0 on a missing key still creates it, zero-filled.
        await c.Expect(":0", "SETBIT", "sb:zero", "20", "0");
        Assert.Equal(new byte[3], (await c.SendAsync("GET", "sb:zero")).Bytes);

        // Bits of an integer-looking value are the bits of its digits.
        await c.Expect("+OK", "SET", "sb:num", "12345");
        await c.Expect(":1", "GETBIT", "sb:num", "2");
        await c.Expect(":1", "SETBIT", "sb:num", "7", "0");
        await c.Expect("$02345", "GET", "sb:num");
    }

    [Fact]
    public async Task BitFieldReadsWritesAndCountsOnlyChanges()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("*[:0, :-1, :255]", "BITFIELD", "bf:k", "SET", "u8", "0", "255", "GET", "i8", "0", "GET", "u8", "#0");
        await c.Expect("*[:255, (nil), :255, :0]", "BITFIELD", "bf:k", "INCRBY", "u8", "0", "0", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1");
        await c.Expect("*[:0]", "BITFIELD_RO", "bf:k", "GET", "u4", "4");
        await c.Expect("-ERR BITFIELD_RO only supports the GET subcommand", "BITFIELD_RO", "bf:k", "SET", "u4", "4", "1");
        await c.Expect("-ERR bit offset is not an integer or out of range", "BITFIELD", "bf:k", "GET", "u8", "#536870912");

        // Redis counts a change only when the field's bits change, or the string was created or grew.
        long before = await Changes(c);
        await c.SendAsync("BITFIELD", "bf:dirty", "SET", "i5", "0", "0");
        Assert.Equal(before + 1, await Changes(c));
        await c.SendAsync("BITFIELD", "bf:dirty", "SET", "i5", "0", "0");
        Assert.Equal(before + 1, await Changes(c));
        await c.SendAsync("BITFIELD", "bf:dirty", "SET", "i5", "0", "1", "SET", "i5", "0", "1");
        Assert.Equal(before + 2, await Changes(c));
        await c.SendAsync("BITFIELD", "bf:dirty", "SET", "i5", "8", "0");
        Assert.Equal(before + 3, await Changes(c));
    }

    private static async Task<long> Changes(RespTestClient c)
    {
        string info = (await c.SendAsync("INFO", "persistence")).Text!;
        int at = info.IndexOf("rdb_changes_since_last_save:", StringComparison.Ordinal) + "rdb_changes_since_last_save:".Length;
        return long.Parse(info.AsSpan(at, info.IndexOf('\r', at) - at), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task BitOffsetAndValueErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        const string badOffset = "-ERR bit offset is not an integer or out of range";
        const string badBit = "-ERR bit is not an integer or out of range";
        await c.Expect(badOffset, "SETBIT", "be:k", "-1", "1");
        await c.Expect(badOffset, "SETBIT", "be:k", "4294967296", "1"); // 512 MB of bytes
        await c.Expect(badOffset, "SETBIT", "be:k", "a", "1");
        await c.Expect(badOffset, "GETBIT", "be:k", "4294967296");
        await c.Expect(badOffset, "GETBIT", "be:k", "-1");
        await c.Expect(badBit, "SETBIT", "be:k", "1", "2");
        await c.Expect(badBit, "SETBIT", "be:k", "1", "-1");
        await c.Expect(badBit, "SETBIT", "be:k", "1", "a");
        await c.Expect(badBit, "SETBIT", "be:k", "4294967295", "2");
        await c.Expect(":0", "EXISTS", "be:k");
    }

    [Fact]
    public async Task BitCountRangesInBytesAndBits()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "bc:s", "foobar");
        await c.Expect(":26", "BITCOUNT", "bc:s");
        await c.Expect(":4", "BITCOUNT", "bc:s", "0", "0");
        await c.Expect(":6", "BITCOUNT", "bc:s", "1", "1");
        await c.Expect(":6", "BITCOUNT", "bc:s", "1", "1", "BYTE");
        await c.Expect(":17", "BITCOUNT", "bc:s", "5", "30", "BIT");
        await c.Expect(":4", "BITCOUNT", "bc:s", "-1", "-1");
        await c.Expect(":0", "BITCOUNT", "bc:s", "-10", "-20");
        await c.Expect(":2", "BITCOUNT", "bc:s", "-5", "-1", "bit");
        await c.Expect("-ERR syntax error", "BITCOUNT", "bc:s", "0", "1", "foo");
        await c.Expect("-ERR syntax error", "BITCOUNT", "bc:s", "0");
        await c.Expect("-ERR value is not an integer or out of range", "BITCOUNT", "bc:s", "a", "1");

        // Redis 7.0 looks the key up before parsing the range: a missing key is 0 whatever follows.
        await c.Expect(":0", "BITCOUNT", "bc:none", "0", "1", "foo");

        // Long enough for the word-at-a-time path and an unaligned tail.
        var bytes = new byte[1001];
        long ones = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 37);
            ones += System.Numerics.BitOperations.PopCount((uint)bytes[i]);
        }

        await c.Expect("+OK", "SET", "bc:long", bytes);
        await c.Expect(":" + ones, "BITCOUNT", "bc:long");
    }

    [Fact]
    public async Task BitPosFollowsRedisEndRules()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "bp:p", new byte[] { 0xFF, 0xF0, 0x00 });
        await c.Expect(":12", "BITPOS", "bp:p", "0");
        await c.Expect(":-1", "BITPOS", "bp:p", "1", "2");
        await c.Expect(":12", "BITPOS", "bp:p", "0", "0", "-1", "bit");
        await c.Expect(":-1", "BITPOS", "bp:p", "1", "12", "23", "bit");
        await c.Expect(":12", "BITPOS", "bp:p", "0", "0", "1");
        await c.Expect(":16", "BITPOS", "bp:p", "0", "2", "2");

        // All ones: without an end the string reads as zero-padded; with an end there is no clear bit.
        await c.Expect("+OK", "SET", "bp:q", new byte[] { 0xFF, 0xFF, 0xFF });
        await c.Expect(":24", "BITPOS", "bp:q", "0");
        await c.Expect(":24", "BITPOS", "bp:q", "0", "1");
        await c.Expect(":-1", "BITPOS", "bp:q", "0", "0", "-1");
        await c.Expect(":-1", "BITPOS", "bp:q", "0", "0", "23", "bit");
        await c.Expect(":0", "BITPOS", "bp:q", "1", "-10", "-20"); // no both-negative shortcut in BITPOS

        await c.Expect(":0", "BITPOS", "bp:none", "0");
        await c.Expect(":-1", "BITPOS", "bp:none", "1");
        await c.Expect(":0", "BITPOS", "bp:none", "0", "5", "6", "bit");
        await c.Expect("+OK", "SET", "bp:e", "");
        await c.Expect(":-1", "BITPOS", "bp:e", "0");
        await c.Expect("-ERR The bit argument must be 1 or 0.", "BITPOS", "bp:p", "2");
        await c.Expect("-ERR syntax error", "BITPOS", "bp:p", "1", "0", "1", "foo");
        await c.Expect("-ERR value is not an integer or out of range", "BITPOS", "bp:p", "1", "a");

        // A set bit far into a long run of zeros (the vectorized scan).
        var sparse = new byte[5000];
        sparse[4321] = 0x04;
        await c.Expect("+OK", "SET", "bp:sparse", sparse);
        await c.Expect(":" + ((4321 * 8) + 5), "BITPOS", "bp:sparse", "1");
        await c.Expect(":-1", "BITPOS", "bp:sparse", "1", "0", "4320");
        await c.Expect(":" + ((4321 * 8) + 5), "BITPOS", "bp:sparse", "1", "34570", "-1", "BIT");
    }

    [Fact]
    public async Task BitOpCombinesAndDeletesOnEmptyResult()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "bo:1", new byte[] { 0x0F });
        await c.Expect("+OK", "SET", "bo:2", new byte[] { 0xFF, 0x01 });
        await c.Expect(":2", "BITOP", "AND", "bo:d", "bo:1", "bo:2");
        Assert.Equal(new byte[] { 0x0F, 0x00 }, (await c.SendAsync("GET", "bo:d")).Bytes);
        await c.Expect(":2", "BITOP", "or", "bo:d", "bo:1", "bo:2");
        Assert.Equal(new byte[] { 0xFF, 0x01 }, (await c.SendAsync("GET", "bo:d")).Bytes);
        await c.Expect(":2", "BITOP", "XOR", "bo:d", "bo:1", "bo:2", "bo:none");
        Assert.Equal(new byte[] { 0xF0, 0x01 }, (await c.SendAsync("GET", "bo:d")).Bytes);
        await c.Expect(":2", "BITOP", "NOT", "bo:d", "bo:2");
        Assert.Equal(new byte[] { 0x00, 0xFE }, (await c.SendAsync("GET", "bo:d")).Bytes);

        // Sources longer than a vector, one shorter (zero padded).
        var a = new byte[100];
        var b = new byte[70];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (byte)(i * 7);
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)(255 - (i * 3));
        }

        await c.Expect("+OK", "MSET", "bo:a", a, "bo:b", b);
        byte[] and = new byte[100], or = new byte[100], xor = new byte[100];
        for (int i = 0; i < 100; i++)
        {
            byte bi = i < b.Length ? b[i] : (byte)0;
            and[i] = (byte)(a[i] & bi);
            or[i] = (byte)(a[i] | bi);
            xor[i] = (byte)(a[i] ^ bi);
        }

        await c.Expect(":100", "BITOP", "AND", "bo:r", "bo:a", "bo:b");
        Assert.Equal(and, (await c.SendAsync("GET", "bo:r")).Bytes);
        await c.Expect(":100", "BITOP", "OR", "bo:r", "bo:b", "bo:a");
        Assert.Equal(or, (await c.SendAsync("GET", "bo:r")).Bytes);
        await c.Expect(":100", "BITOP", "XOR", "bo:r", "bo:a", "bo:b");
        Assert.Equal(xor, (await c.SendAsync("GET", "bo:r")).Bytes);

        // The destination may be a source.
        await c.Expect(":100", "BITOP", "AND", "bo:a", "bo:a", "bo:b");
        Assert.Equal(and, (await c.SendAsync("GET", "bo:a")).Bytes);

        await c.Expect("+OK", "SET", "bo:gone", "x");
        await c.Expect(":0", "BITOP", "AND", "bo:gone", "bo:none", "bo:none2");
        await c.Expect(":0", "EXISTS", "bo:gone");
        await c.Expect("-ERR syntax error", "BITOP", "FOO", "bo:d", "bo:1");
        await c.Expect("-ERR BITOP NOT must be called with a single source key.", "BITOP", "NOT", "bo:d", "bo:1", "bo:2");
    }

    [Fact]
    public async Task BitCommandsAnswerWrongTypeOnOtherTypes()
    {
        await using var c = await _fixture.ConnectAsync();
        StringTestSupport.PlantOtherType(_fixture.Server, "bw:other");
        await c.Expect("+OK", "SET", "bw:s", "abc");
        await c.Expect(StringTestSupport.WrongType, "SETBIT", "bw:other", "1", "1");
        await c.Expect(StringTestSupport.WrongType, "GETBIT", "bw:other", "1");
        await c.Expect(StringTestSupport.WrongType, "BITCOUNT", "bw:other");
        await c.Expect(StringTestSupport.WrongType, "BITPOS", "bw:other", "1");
        await c.Expect(StringTestSupport.WrongType, "BITOP", "AND", "bw:d", "bw:s", "bw:other");
        await c.Expect(":0", "EXISTS", "bw:d");

        // Argument errors come before the type check where Redis parses first.
        await c.Expect("-ERR bit offset is not an integer or out of range", "GETBIT", "bw:other", "a");
        await c.Expect("-ERR The bit argument must be 1 or 0.", "BITPOS", "bw:other", "3");

        // BITOP overwrites a destination of another type.
        await c.Expect(":3", "BITOP", "OR", "bw:other", "bw:s");
        await c.Expect("$abc", "GET", "bw:other");
    }
}
