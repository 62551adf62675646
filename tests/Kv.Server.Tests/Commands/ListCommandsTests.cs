using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// List commands over a socket: replies and error texts as redis-server 7.0.15 gives them (the
/// seeded ListCompatTests stream compares the rest side by side), and long lists across many chunks.
/// </summary>
public sealed class ListCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public ListCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task PushPopAndCountRules()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":0", "LPUSHX", "pp:l", "a");
        await c.Expect(":3", "RPUSH", "pp:l", "a", "b", "c");
        await c.Expect(":4", "LPUSHX", "pp:l", "z");
        await c.Expect("$z", "LPOP", "pp:l");
        await c.Expect("*[]", "LPOP", "pp:l", "0");
        await c.Expect("(nil-array)", "LPOP", "pp:none", "0");
        await c.Expect("(nil)", "RPOP", "pp:none");
        await c.Expect("-ERR value is out of range, must be positive", "LPOP", "pp:l", "-1");
        await c.Expect("-ERR wrong number of arguments for 'lpop' command", "LPOP", "pp:l", "1", "2");
        await c.Expect("*[$c, $b, $a]", "RPOP", "pp:l", "10");
        await c.Expect(":0", "EXISTS", "pp:l");
        await c.Expect(":1", "RPUSH", "pp:l2", "x");
        await c.Expect("$quicklist", "OBJECT", "ENCODING", "pp:l2");
        await c.Expect("+list", "TYPE", "pp:l2");
    }

    [Fact]
    public async Task IndexSetInsertRemoveTrimAndPos()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":5", "RPUSH", "ix:l", "a", "b", "c", "b", "a");
        await c.Expect("$a", "LINDEX", "ix:l", "-1");
        await c.Expect("(nil)", "LINDEX", "ix:l", "5");
        await c.Expect("-ERR no such key", "LSET", "ix:none", "0", "x");
        await c.Expect("-ERR index out of range", "LSET", "ix:l", "9", "x");
        await c.Expect("+OK", "LSET", "ix:l", "1", "BB");
        await c.Expect(":6", "LINSERT", "ix:l", "AFTER", "c", "d");
        await c.Expect(":-1", "LINSERT", "ix:l", "BEFORE", "nope", "d");
        await c.Expect("-ERR syntax error", "LINSERT", "ix:l", "MIDDLE", "c", "d");
        await c.Expect(":1", "LREM", "ix:l", "-1", "a");
        await c.Expect("*[$a, $BB, $c, $d, $b]", "LRANGE", "ix:l", "0", "-1");
        await c.Expect(":0", "LPOS", "ix:l", "a");
        await c.Expect("*[:4]", "LPOS", "ix:l", "b", "COUNT", "0");
        await c.Expect("-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list", "LPOS", "ix:l", "a", "RANK", "0");
        await c.Expect("-ERR COUNT can't be negative", "LPOS", "ix:l", "a", "COUNT", "-1");
        await c.Expect("-ERR MAXLEN can't be negative", "LPOS", "ix:l", "a", "MAXLEN", "-1");
        await c.Expect("+OK", "LTRIM", "ix:l", "1", "-2");
        await c.Expect("*[$BB, $c, $d]", "LRANGE", "ix:l", "0", "-1");
        await c.Expect("+OK", "LTRIM", "ix:l", "5", "1");
        await c.Expect(":0", "EXISTS", "ix:l");
    }

    [Fact]
    public async Task MoveAndMPop()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":3", "RPUSH", "mv:a", "1", "2", "3");
        await c.Expect("$3", "RPOPLPUSH", "mv:a", "mv:a");
        await c.Expect("$3", "LMOVE", "mv:a", "mv:b", "LEFT", "RIGHT");
        await c.Expect("-ERR syntax error", "LMOVE", "mv:a", "mv:b", "UP", "RIGHT");
        await c.Expect("*[$mv:a, *[$2, $1]]", "LMPOP", "2", "mv:none", "mv:a", "RIGHT", "COUNT", "5");
        await c.Expect("-ERR numkeys should be greater than 0", "LMPOP", "0", "mv:a", "LEFT");
        await c.Expect("-ERR count should be greater than 0", "LMPOP", "1", "mv:a", "LEFT", "COUNT", "0");
        await c.Expect("(nil-array)", "LMPOP", "1", "mv:a", "LEFT");
        await c.Expect("+OK", "SET", "mv:s", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "LMOVE", "mv:b", "mv:s", "LEFT", "LEFT");
        await c.Expect("*[$3]", "LRANGE", "mv:b", "0", "-1");
    }

    [Fact]
    public async Task LongListsSpanChunksAndStayConsistent()
    {
        await using var c = await _fixture.ConnectAsync();
        const int N = 5000;
        for (int start = 0; start < N; start += 500)
        {
            var args = new List<object> { "RPUSH", "long:l" };
            for (int i = start; i < start + 500; i++)
            {
                args.Add("v" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await c.SendAsync([.. args]);
        }

        await c.Expect("$v2500", "LINDEX", "long:l", "2500");
        await c.Expect("$v4999", "LINDEX", "long:l", "-1");
        await c.Expect("+OK", "LSET", "long:l", "3000", new string('x', 10_000));
        await c.Expect(":" + (N + 1), "LINSERT", "long:l", "BEFORE", "v1234", "ins");
        await c.Expect("*[$v1233, $ins, $v1234]", "LRANGE", "long:l", "1233", "1235");
        await c.Expect(":1235", "LPOS", "long:l", "v1234");
        await c.Expect(":1", "LREM", "long:l", "0", "ins");
        await c.Expect("$" + new string('x', 10_000), "LINDEX", "long:l", "3000");
        await c.Expect("+OK", "LTRIM", "long:l", "100", "-101");
        await c.Expect(":4800", "LLEN", "long:l");
        await c.Expect("$v100", "LPOP", "long:l");
        await c.Expect("$v4899", "RPOP", "long:l");
    }
}
