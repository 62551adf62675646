using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>Sorted-set commands over a socket; expected replies recorded from redis-server 7.0.15.</summary>
public sealed class SortedSetCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public SortedSetCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    // Plain sets take part in ZUNION/ZINTER/ZDIFF with every member scored 1 (replies from redis-server 7.0.15).
    [Fact]
    public async Task PlainSetsAreSortedSetInputsWithScoreOne()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "select", "3");
        await c.Expect(":5", "sadd", "zs:s1", "a", "b", "c", "1", "2");
        await c.Expect(":3", "sadd", "zs:s2", "5", "3", "1");
        await c.Expect(":2", "zadd", "zs:z1", "5", "a", "7", "x");
        await c.Expect("*[$2, $1, $3, $1, $5, $1, $b, $1, $c, $1, $1, $2, $a, $6, $x, $7]", "zunion", "3", "zs:s1", "zs:z1", "zs:s2", "withscores");
        await c.Expect(":1", "zinterstore", "zs:d", "2", "zs:s1", "zs:z1", "weights", "2", "3");
        await c.Expect("*[$a, $17]", "zrange", "zs:d", "0", "-1", "withscores");
        await c.Expect("*[$3, $5]", "zdiff", "2", "zs:s2", "zs:s1");
    }

    [Fact]
    public async Task ZAddOptionsAndErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");

        // NX, XX, GT, LT, CH and INCR as Redis 7.0 combines them.
        await c.Expect(":5", "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        await c.Expect(":1", "zadd", "z", "nx", "10", "a", "11", "f");
        await c.Expect(":1", "zadd", "z", "xx", "ch", "20", "a", "12", "g");
        await c.Expect(":1", "zadd", "z", "gt", "ch", "5", "a", "30", "b");
        await c.Expect(":1", "zadd", "z", "lt", "ch", "50", "c", "1", "d");
        await c.Expect("$25", "zadd", "z", "incr", "5", "a");
        await c.Expect("(nil)", "zadd", "z", "incr", "nx", "5", "a");
        await c.Expect("(nil)", "zadd", "z", "incr", "xx", "5", "nope");
        await c.Expect("(nil)", "zadd", "z", "incr", "gt", "-100", "a");
        await c.Expect(":0", "zadd", "z", "xx", "1", "nope");
        await c.Expect(":1", "exists", "z");
        await c.Expect(":0", "zadd", "nokey", "xx", "1", "a");
        await c.Expect("(nil)", "zadd", "nokey", "xx", "incr", "1", "a");
        await c.Expect(":0", "exists", "nokey");
        await c.Expect("-ERR syntax error", "zadd", "z", "1", "a", "2");
        await c.Expect("-ERR XX and NX options at the same time are not compatible", "zadd", "z", "xx", "nx", "1", "a");
        await c.Expect("-ERR GT, LT, and/or NX options at the same time are not compatible", "zadd", "z", "gt", "lt", "1", "a");
        await c.Expect("-ERR GT, LT, and/or NX options at the same time are not compatible", "zadd", "z", "gt", "nx", "1", "a");
        await c.Expect("-ERR GT, LT, and/or NX options at the same time are not compatible", "zadd", "z", "lt", "nx", "1", "a");
        await c.Expect("-ERR INCR option supports a single increment-element pair", "zadd", "z", "incr", "1", "a", "2", "b");
        await c.Expect("-ERR value is not a valid float", "zadd", "z", "nan", "a");
        await c.Expect("-ERR value is not a valid float", "zadd", "z", "1", "a", "abc", "b");
        await c.Expect(":0", "zadd", "z", "inf", "a");
        await c.Expect("-ERR resulting score is not a number (NaN)", "zincrby", "z", "-inf", "a");
        await c.Expect("$31.5", "zincrby", "z", "1.5", "b");
        await c.Expect("-ERR value is not a valid float", "zincrby", "z", "abc", "b");
        await c.Expect("-ERR syntax error", "zincrby", "z", "nx", "b");
        await c.Expect("$2.5", "zincrby", "nokey2", "2.5", "m");
        await c.Expect(":3", "zadd", "z", "0.1", "h", "1e300", "i", "-0.0", "j");
        await c.Expect("*[$j, $0, $h, $0.10000000000000001, $d, $1, $c, $3, $e, $5, $f, $11, $b, $31.5, $i, $1.0000000000000001e+300, $a, $inf]", "zrange", "z", "0", "-1", "withscores");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zadd", "str", "1", "a");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zincrby", "str", "1", "a");
    }

    [Fact]
    public async Task RangesByRankScoreAndLex()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");
        await c.Expect(":8", "zadd", "z", "0", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "5", "g", "6", "h");
        await c.Expect("*[$a, $0, $b, $1, $c, $2, $d, $3, $e, $4, $f, $5, $g, $5, $h, $6]", "zrange", "z", "0", "-1", "withscores");
        await c.Expect("*[$h, $6, $g, $5, $f, $5, $e, $4, $d, $3, $c, $2, $b, $1, $a, $0]", "zrange", "z", "0", "-1", "rev", "withscores");
        await c.Expect("*[$c, $d, $e]", "zrange", "z", "2", "4");
        await c.Expect("*[$f, $5, $g, $5, $h, $6]", "zrange", "z", "-3", "-1", "withscores");
        await c.Expect("*[]", "zrange", "z", "5", "2");
        await c.Expect("*[$a, $b, $c, $d, $e, $f, $g, $h]", "zrange", "z", "-100", "100");
        await c.Expect("*[$c, $d, $e, $f, $g, $h]", "zrange", "z", "(1", "+inf", "byscore");
        await c.Expect("*[$g, $5, $f, $5]", "zrange", "z", "+inf", "(1", "byscore", "rev", "limit", "1", "2", "withscores");
        await c.Expect("*[$c, $d, $e, $f, $g]", "zrange", "z", "(1", "5", "byscore", "limit", "0", "-1");
        await c.Expect("*[]", "zrange", "z", "(1", "5", "byscore", "limit", "-1", "2");
        await c.Expect("*[]", "zrange", "z", "(1", "5", "byscore", "limit", "100", "2");
        await c.Expect("*[$f, $g]", "zrange", "z", "5", "5", "byscore");
        await c.Expect("*[]", "zrange", "z", "(5", "5", "byscore");
        await c.Expect("*[$a, $b, $c, $d, $e, $f, $g, $h]", "zrange", "z", "-", "+", "bylex");
        await c.Expect("*[$b, $c]", "zrange", "z", "[b", "(d", "bylex");
        await c.Expect("*[$c]", "zrange", "z", "(d", "[b", "bylex", "rev", "limit", "0", "1");
        await c.Expect("*[$c, $2, $d, $3, $e, $4]", "zrangebyscore", "z", "-inf", "+inf", "withscores", "limit", "2", "3");
        await c.Expect("*[$f, $5, $e, $4, $d, $3]", "zrevrangebyscore", "z", "+inf", "-inf", "withscores", "limit", "2", "3");
        await c.Expect("*[$e, $d, $c]", "zrevrangebyscore", "z", "4", "(1");
        await c.Expect("*[$h, $6, $g, $5, $f, $5]", "zrevrange", "z", "0", "2", "withscores");
        await c.Expect("*[$a, $b, $c]", "zrangebylex", "z", "[a", "[c");
        await c.Expect("*[$b]", "zrangebylex", "z", "[a", "[c", "limit", "1", "1");
        await c.Expect("*[$c, $b, $a]", "zrevrangebylex", "z", "[c", "[a");
        await c.Expect("*[]", "zrangebylex", "z", "+", "-");
        await c.Expect("*[]", "zrangebylex", "z", "-", "-");
        await c.Expect(":8", "zcount", "z", "-inf", "+inf");
        await c.Expect(":3", "zcount", "z", "(1", "(5");
        await c.Expect(":4", "zcount", "z", "", "3");
        await c.Expect(":3", "zcount", "z", " 1", "3");
        await c.Expect(":0", "zcount", "z", "10", "20");
        await c.Expect(":8", "zlexcount", "z", "-", "+");
        await c.Expect(":7", "zlexcount", "z", "[b", "(z");
        await c.Expect(":0", "zlexcount", "z", "+", "(");
        await c.Expect("*[]", "zrange", "nokey", "0", "-1");
        await c.Expect("*[]", "zrangebyscore", "nokey", "0", "1");
    }

    [Fact]
    public async Task RangeSyntaxErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");
        await c.Expect(":2", "zadd", "z", "1", "a", "2", "b");
        await c.Expect("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX", "zrange", "z", "0", "1", "limit", "0", "1");
        await c.Expect("-ERR min or max not valid string range item", "zrange", "z", "0", "-1", "bylex");
        await c.Expect("-ERR syntax error", "zrange", "z", "0", "-1", "rev", "rev");
        await c.Expect("-ERR min or max is not a float", "zrange", "z", "a", "b", "byscore");
        await c.Expect("-ERR value is not an integer or out of range", "zrange", "z", "(1", "3", "byscore", "limit", "0", "x");
        await c.Expect("-ERR syntax error", "zrange", "z", "0", "1", "foo");
        await c.Expect("*[$a, $1, $b, $2]", "zrange", "z", "0", "1", "withscores", "withscores");
        await c.Expect("-ERR value is not an integer or out of range", "zrange", "z", "x", "1");
        await c.Expect("-ERR syntax error, WITHSCORES not supported in combination with BYLEX", "zrangebylex", "z", "-", "+", "withscores");
        await c.Expect("-ERR syntax error", "zrangebyscore", "z", "0", "1", "rev");
        await c.Expect("-ERR syntax error", "zrangebyscore", "z", "0", "1", "bylex");
        await c.Expect("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX", "zrevrange", "z", "0", "1", "limit", "0", "1");
        await c.Expect("-ERR min or max not valid string range item", "zrangebylex", "z", "++", "-");
        await c.Expect("-ERR min or max not valid string range item", "zrangebylex", "z", "a", "b");
        await c.Expect("-ERR min or max is not a float", "zrangebyscore", "z", "nan", "1");
        await c.Expect("-ERR min or max is not a float", "zcount", "z", "x", "3");
        await c.Expect(":0", "zcount", "z", "1", "(");
        await c.Expect("-ERR min or max not valid string range item", "zlexcount", "z", "a", "b");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zrange", "str", "0", "1");
        await c.Expect("-ERR value is not an integer or out of range", "zrange", "str", "a", "b");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zcount", "str", "0", "1");
    }

    [Fact]
    public async Task ScoresRanksAndCardinality()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");
        await c.Expect(":3", "zadd", "z", "1", "a", "2", "b", "3", "c");
        await c.Expect(":3", "zcard", "z");
        await c.Expect(":0", "zcard", "nokey");
        await c.Expect("$1", "zscore", "z", "a");
        await c.Expect("(nil)", "zscore", "z", "nope");
        await c.Expect("(nil)", "zscore", "nokey", "a");
        await c.Expect("*[$1, (nil), $2]", "zmscore", "z", "a", "nope", "b");
        await c.Expect("*[(nil), (nil)]", "zmscore", "nokey", "a", "b");
        await c.Expect(":0", "zrank", "z", "a");
        await c.Expect(":2", "zrank", "z", "c");
        await c.Expect("(nil)", "zrank", "z", "nope");
        await c.Expect(":2", "zrevrank", "z", "a");
        await c.Expect(":0", "zrevrank", "z", "c");
        await c.Expect("(nil)", "zrank", "nokey", "a");
        await c.Expect("-ERR wrong number of arguments for 'zrank' command", "zrank", "z", "a", "withscore");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zrank", "str", "a");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zscore", "str", "a");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zmscore", "str", "a");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zcard", "str");
    }

    [Fact]
    public async Task RemoveAndRemoveRanges()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");
        await c.Expect(":7", "zadd", "z", "0", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g");
        await c.Expect(":2", "zrem", "z", "a", "nope", "b");
        await c.Expect(":0", "zrem", "nokey", "a");
        await c.Expect(":1", "zremrangebyrank", "z", "0", "0");
        await c.Expect(":0", "zremrangebyrank", "z", "10", "20");
        await c.Expect(":1", "zremrangebyscore", "z", "(3", "4");
        await c.Expect(":2", "zremrangebylex", "z", "[f", "[g");
        await c.Expect("-ERR min or max is not a float", "zremrangebyscore", "z", "a", "b");
        await c.Expect("-ERR min or max not valid string range item", "zremrangebylex", "z", "a", "b");
        await c.Expect("-ERR value is not an integer or out of range", "zremrangebyrank", "z", "a", "b");
        await c.Expect("*[$d, $3]", "zrange", "z", "0", "-1", "withscores");
        await c.Expect(":1", "zrem", "z", "c", "d");
        await c.Expect(":0", "exists", "z");
        await c.Expect(":1", "zadd", "z", "1", "a");
        await c.Expect(":1", "zremrangebyrank", "z", "0", "-1");
        await c.Expect(":0", "exists", "z");
        await c.Expect(":0", "zremrangebyscore", "nokey", "0", "1");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zrem", "str", "a");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zremrangebyrank", "str", "0", "1");
    }

    [Fact]
    public async Task PopsAndMPop()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z");
        await c.Expect(":4", "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        await c.Expect("*[$a, $1]", "zpopmin", "z");
        await c.Expect("*[$d, $4, $c, $3]", "zpopmax", "z", "2");
        await c.Expect("*[]", "zpopmin", "z", "0");
        await c.Expect("-ERR value is out of range, must be positive", "zpopmin", "z", "-1");
        await c.Expect("-ERR syntax error", "zpopmin", "z", "1", "2");
        await c.Expect("*[]", "zpopmin", "nokey");
        await c.Expect("*[]", "zpopmin", "nokey", "3");
        await c.Expect("-ERR syntax error", "zmpop", "1", "nokey", "z", "min", "count", "5");
        await c.Expect(":1", "exists", "z");
        await c.Expect(":1", "zadd", "z", "1", "a", "2", "b");
        await c.Expect("*[$z, *[*[$b, $2]]]", "zmpop", "2", "nokey", "z", "max");
        await c.Expect("(nil-array)", "zmpop", "1", "nokey", "min");
        await c.Expect("-ERR numkeys should be greater than 0", "zmpop", "0", "a", "min");
        await c.Expect("-ERR syntax error", "zmpop", "1", "a", "foo");
        await c.Expect("-ERR count should be greater than 0", "zmpop", "1", "z", "min", "count", "0");
        await c.Expect("-ERR syntax error", "zmpop", "1", "z", "min", "count", "1", "count", "1");
        await c.Expect("-ERR syntax error", "zmpop", "2", "z", "min");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zpopmin", "str", "0");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zpopmax", "str");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zmpop", "2", "nokey", "str", "min");
    }

    [Fact]
    public async Task SetAlgebra()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "2");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "a", "b", "out", "inf1", "inf2");
        await c.Expect(":3", "zadd", "a", "1", "x", "2", "y", "3", "z");
        await c.Expect(":3", "zadd", "b", "10", "y", "20", "z", "30", "w");
        await c.Expect("*[$x, $1, $y, $12, $z, $23, $w, $30]", "zunion", "2", "a", "b", "withscores");
        await c.Expect("*[$x, $2, $y, $30, $z, $60, $w, $90]", "zunion", "2", "a", "b", "weights", "2", "3", "aggregate", "max", "withscores");
        await c.Expect("*[$x, $y, $z, $w]", "zunion", "2", "a", "b", "aggregate", "min");
        await c.Expect("*[$y, $12, $z, $23]", "zinter", "2", "a", "b", "withscores");
        await c.Expect("*[$y, $2, $z, $3]", "zinter", "2", "a", "b", "aggregate", "min", "withscores");
        await c.Expect("*[$x, $1]", "zdiff", "2", "a", "b", "withscores");
        await c.Expect("*[$w]", "zdiff", "2", "b", "a");
        await c.Expect("*[$x, $1, $y, $2, $z, $3]", "zdiff", "2", "a", "nokey", "withscores");
        await c.Expect("*[]", "zinter", "2", "a", "nokey");
        await c.Expect(":4", "zunionstore", "out", "2", "a", "b");
        await c.Expect("*[$x, $1, $y, $12, $z, $23, $w, $30]", "zrange", "out", "0", "-1", "withscores");
        await c.Expect(":2", "zinterstore", "out", "2", "a", "b", "weights", "1", "-1");
        await c.Expect("*[$z, $-17, $y, $-8]", "zrange", "out", "0", "-1", "withscores");
        await c.Expect(":0", "zdiffstore", "out", "2", "a", "a");
        await c.Expect(":0", "exists", "out");
        await c.Expect(":2", "zintercard", "2", "a", "b");
        await c.Expect(":1", "zintercard", "2", "a", "b", "limit", "1");
        await c.Expect(":0", "zintercard", "2", "a", "nokey");
        await c.Expect("-ERR at least 1 input key is needed for 'zintercard' command", "zintercard", "0", "a");
        await c.Expect("-ERR at least 1 input key is needed for 'zunion' command", "zunion", "0", "a");
        await c.Expect("-ERR at least 1 input key is needed for 'zunionstore' command", "zunionstore", "d", "0", "a");
        await c.Expect("-ERR syntax error", "zinter", "2", "a");
        await c.Expect("-ERR weight value is not a float", "zunion", "1", "a", "weights", "x");
        await c.Expect("-ERR syntax error", "zunion", "1", "a", "weights", "1", "2");
        await c.Expect("-ERR syntax error", "zdiff", "1", "a", "weights", "1");
        await c.Expect("-ERR syntax error", "zdiff", "1", "a", "withscores", "aggregate", "max");
        await c.Expect("-ERR LIMIT can't be negative", "zintercard", "1", "a", "limit", "-1");
        await c.Expect("-ERR syntax error", "zintercard", "1", "a", "withscores");
        await c.Expect("-ERR syntax error", "zunionstore", "out", "1", "a", "withscores");
        await c.Expect("-ERR syntax error", "zunion", "2", "a", "b", "aggregate", "avg");
        await c.Expect(":1", "zadd", "inf1", "inf", "m");
        await c.Expect(":1", "zadd", "inf2", "-inf", "m");
        await c.Expect("*[$m, $0]", "zunion", "2", "inf1", "inf2", "withscores");
        await c.Expect("*[$m, $-inf]", "zunion", "2", "inf1", "inf2", "weights", "0", "1", "withscores");
        await c.Expect("*[$m, $0]", "zinter", "2", "inf1", "inf2", "withscores");
        await c.Expect("*[$x, $2, $y, $4, $z, $6]", "zunion", "2", "a", "a", "withscores");
        await c.Expect("*[$x, $3, $y, $6, $z, $9]", "zinter", "2", "a", "a", "weights", "1", "2", "withscores");
        await c.Expect("+OK", "set", "str", "x");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zunion", "2", "a", "str");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "zinterstore", "out", "2", "str", "a");
    }

    [Fact]
    public async Task Resp3Shapes()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "3");
        await c.Expect("+OK", "flushall");
        await c.Expect(":0", "del", "z", "a", "b");
        await c.Expect(":4", "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        await c.Expect("*[*[$a, ,1], *[$b, ,2]]", "zrange", "z", "0", "1", "withscores");
        await c.Expect("*[$a, $b]", "zrange", "z", "0", "1");
        await c.Expect("*[*[$a, ,1], *[$b, ,2]]", "zrangebyscore", "z", "1", "2", "withscores");
        await c.Expect(",1", "zscore", "z", "a");
        await c.Expect("*[,1, (null)]", "zmscore", "z", "a", "nope");
        await c.Expect(",1.5", "zincrby", "z", "0.5", "a");
        await c.Expect(",2", "zadd", "z", "incr", "0.5", "a");
        await c.Expect("(null)", "zadd", "z", "xx", "incr", "1", "nope");
        await c.Expect("*[$a, ,2]", "zpopmin", "z");
        await c.Expect("*[*[$b, ,2]]", "zpopmin", "z", "1");
        await c.Expect("*[]", "zpopmax", "z", "0");
        await c.Expect("*[$z, *[*[$d, ,4], *[$c, ,3]]]", "zmpop", "1", "z", "max", "count", "5");
        await c.Expect("(null)", "zmpop", "1", "z", "max");
        await c.Expect("(null)", "zscore", "z", "a");
        await c.Expect(":2", "zadd", "a", "1", "x", "2", "y");
        await c.Expect(":1", "zadd", "b", "inf", "y");
        await c.Expect("*[*[$x, ,1], *[$y, ,inf]]", "zunion", "2", "a", "b", "withscores");
        await c.Expect("*[*[$y, ,inf]]", "zinter", "2", "a", "b", "withscores");
        await c.Expect("*[*[$x, ,1]]", "zdiff", "2", "a", "b", "withscores");
        await c.Expect("(null)", "zrank", "a", "nope");
        await c.Expect("(null)", "zrandmember", "nokey");
        await c.Expect("*[]", "zrandmember", "nokey", "3");
        await c.Expect("*[]", "zrandmember", "a", "0");
        await c.Expect("*[$0, *[$x, $1, $y, $2]]", "zscan", "a", "0");
        await c.Expect("*[$0, *[]]", "zscan", "nokey", "0");
    }


    [Fact]
    public async Task EncodingFollowsTheListpackLimitsAndNeverGoesBack()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":0", "DEL", "enc:a", "enc:b");
        var args = new List<object> { "ZADD", "enc:a" };
        for (int i = 0; i < 128; i++)
        {
            args.Add(i.ToString(CultureInfo.InvariantCulture));
            args.Add("m" + i.ToString(CultureInfo.InvariantCulture));
        }

        await c.Expect(":128", [.. args]);
        await c.Expect("$listpack", "OBJECT", "ENCODING", "enc:a");
        await c.Expect(":1", "ZADD", "enc:a", "200", "m200");
        await c.Expect("$skiplist", "OBJECT", "ENCODING", "enc:a");
        await c.Expect(":100", "ZREMRANGEBYRANK", "enc:a", "0", "99");
        await c.Expect("$skiplist", "OBJECT", "ENCODING", "enc:a");

        // Store commands pick the encoding by the result's size (zsetConvertToListpackIfNeeded).
        await c.Expect(":29", "ZRANGESTORE", "enc:b", "enc:a", "0", "-1");
        await c.Expect("$listpack", "OBJECT", "ENCODING", "enc:b");
        await c.Expect(":29", "ZUNIONSTORE", "enc:b", "1", "enc:a");
        await c.Expect("$listpack", "OBJECT", "ENCODING", "enc:b");

        // A member longer than zset-max-listpack-value (64) makes a skiplist, also on a new key.
        string longMember = new('x', 65);
        await c.Expect(":1", "ZADD", "enc:c", "1", longMember);
        await c.Expect("$skiplist", "OBJECT", "ENCODING", "enc:c");
        await c.Expect(":1", "ZADD", "enc:d", "1", "short");
        await c.Expect(":1", "ZADD", "enc:d", "1", longMember);
        await c.Expect("$skiplist", "OBJECT", "ENCODING", "enc:d");

        // The old ziplist names are aliases; 0 entries means always a skiplist.
        await c.Expect("+OK", "CONFIG", "SET", "zset-max-ziplist-entries", "0");
        await c.Expect(":1", "ZADD", "enc:e", "1", "a");
        await c.Expect("$skiplist", "OBJECT", "ENCODING", "enc:e");
        await c.Expect("+OK", "CONFIG", "SET", "zset-max-listpack-entries", "128");
        await c.Expect("+zset", "TYPE", "enc:e");
    }

    [Fact]
    public async Task CopyExpiryAndWrongType()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":2", "ZADD", "cp:a", "1", "x", "2", "y");
        await c.Expect(":1", "COPY", "cp:a", "cp:b");
        await c.Expect(":1", "ZADD", "cp:b", "3", "z");
        await c.Expect(":2", "ZCARD", "cp:a");
        await c.Expect(":3", "ZCARD", "cp:b");
        await c.Expect("+OK", "RENAME", "cp:b", "cp:c");
        await c.Expect("*[$x, $1, $y, $2, $z, $3]", "ZRANGE", "cp:c", "0", "-1", "WITHSCORES");
        await c.Expect(":1", "PEXPIRE", "cp:c", "1");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await c.SendAsync("ZCARD", "cp:c")).Integer != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        await c.Expect(":0", "ZCARD", "cp:c");
        await c.Expect(":0", "EXISTS", "cp:c");
        await c.Expect("-WRONGTYPE Operation against a key holding the wrong kind of value", "GET", "cp:a");
        await c.Expect("*[$0, *[$cp:a]]", "SCAN", "0", "TYPE", "zset", "MATCH", "cp:*");
    }

    [Fact]
    public async Task RandMemberShapes()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":5", "ZADD", "rm:z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
        var members = new HashSet<string> { "$a", "$b", "$c", "$d", "$e" };
        Assert.Contains((await c.SendAsync("ZRANDMEMBER", "rm:z")).ToString(), members);

        var distinct = await c.SendAsync("ZRANDMEMBER", "rm:z", "3");
        Assert.Equal(3, distinct.Items!.Count);
        Assert.Equal(3, distinct.Items.Select(i => i.ToString()).Distinct().Count());
        Assert.All(distinct.Items, i => Assert.Contains(i.ToString(), members));

        var all = await c.SendAsync("ZRANDMEMBER", "rm:z", "10");
        Assert.Equal(5, all.Items!.Count);

        var repeated = await c.SendAsync("ZRANDMEMBER", "rm:z", "-12", "WITHSCORES");
        Assert.Equal(24, repeated.Items!.Count);
        for (int i = 0; i < 24; i += 2)
        {
            string member = repeated.Items[i].ToString();
            Assert.Contains(member, members);
            Assert.Equal("$" + (member[1] - 'a' + 1).ToString(CultureInfo.InvariantCulture), repeated.Items[i + 1].ToString());
        }

        await c.Expect("-ERR syntax error", "ZRANDMEMBER", "rm:z", "1", "WITHSCORES", "x");
        await c.Expect("-ERR value is not an integer or out of range", "ZRANDMEMBER", "rm:z", "x");
        await c.Expect("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", "ZRANDMEMBER", "rm:z", "-9223372036854775808");

        // WITHSCORES doubles the reply, so Redis refuses |count| > LONG_MAX/2 before the key is read (the
        // issue's -9223372036854770000 used to overflow the reply length and write until memory ran out).
        foreach (string key in new[] { "rm:z", "rm:nokey" })
        {
            foreach (string count in new[] { "-9223372036854770000", "-9223372036854775807", "-4611686018427387904", "4611686018427387904", "9223372036854775807" })
            {
                await c.Expect("-ERR value is out of range", "ZRANDMEMBER", key, count, "WITHSCORES");
            }
        }

        Assert.Equal(10, (await c.SendAsync("ZRANDMEMBER", "rm:z", "4611686018427387903", "WITHSCORES")).Items!.Count);
        await c.Expect("*[]", "ZRANDMEMBER", "rm:nokey", "-4611686018427387903", "WITHSCORES");
        await c.Expect(":5", "ZCARD", "rm:z");

        await c.SendAsync("HELLO", "3");
        var nested = await c.SendAsync("ZRANDMEMBER", "rm:z", "2", "WITHSCORES");
        Assert.Equal(2, nested.Items!.Count);
        Assert.All(nested.Items, pair => Assert.Equal(',', pair.Items![1].Type));
    }

    [Fact]
    public async Task ScanOfABigSetReturnsEveryMember()
    {
        await using var c = await _fixture.ConnectAsync();
        var args = new List<object> { "ZADD", "sc:z" };
        for (int i = 0; i < 1000; i++)
        {
            args.Add(i.ToString(CultureInfo.InvariantCulture));
            args.Add("m" + i.ToString(CultureInfo.InvariantCulture));
        }

        await c.Expect(":1000", [.. args]);
        var seen = new Dictionary<string, string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = await c.SendAsync("ZSCAN", "sc:z", cursor, "COUNT", "50");
            cursor = reply.Items![0].Text!;
            var items = reply.Items[1].Items!;
            for (int i = 0; i < items.Count; i += 2)
            {
                seen[items[i].Text!] = items[i + 1].Text!;
            }

            calls++;
        }
        while (cursor != "0" && calls < 1000);

        Assert.Equal(1000, seen.Count);
        Assert.Equal("7", seen["m7"]);
        Assert.True(calls > 5, "COUNT should bound each call");
        var matched = await c.SendAsync("ZSCAN", "sc:z", "0", "MATCH", "m99*", "COUNT", "100000");
        Assert.Equal(22, matched.Items![1].Items!.Count);
        await c.Expect("-ERR invalid cursor", "ZSCAN", "sc:z", "abc");
        await c.Expect("-ERR syntax error", "ZSCAN", "sc:z", "0", "COUNT", "0");
        await c.Expect("-ERR syntax error", "ZSCAN", "sc:z", "0", "TYPE", "zset");
    }

    [Fact]
    public async Task BigSetRanksAndRanges()
    {
        await using var c = await _fixture.ConnectAsync();
        var args = new List<object> { "ZADD", "big:z" };
        for (int i = 0; i < 5000; i++)
        {
            args.Add((i / 2).ToString(CultureInfo.InvariantCulture));
            args.Add("m" + i.ToString("D5", CultureInfo.InvariantCulture));
        }

        await c.Expect(":5000", [.. args]);
        await c.Expect(":1234", "ZRANK", "big:z", "m01234");
        await c.Expect(":3765", "ZREVRANK", "big:z", "m01234");
        await c.Expect("*[$m04000, $m04001]", "ZRANGE", "big:z", "4000", "4001");
        await c.Expect("*[$m04001, $m04000]", "ZRANGE", "big:z", "(2001", "2000", "BYSCORE", "REV", "LIMIT", "0", "2");
        await c.Expect("*[$m04000, $m03999]", "ZRANGE", "big:z", "(2001", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2");
        await c.Expect(":10", "ZCOUNT", "big:z", "100", "(105");
        await c.Expect(":1000", "ZREMRANGEBYSCORE", "big:z", "-inf", "(500");
        await c.Expect(":0", "ZRANK", "big:z", "m01000");
        await c.Expect(":4000", "ZCARD", "big:z");
    }
}
