namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Deterministic cases whose replies are mostly errors: arity, unknown commands and subcommands,
/// malformed numbers, overflow and option conflicts. Each step's reply must equal redis-server's
/// byte for byte.
/// </summary>
public sealed class ErrorTextCompatTests : IClassFixture<RedisServerFixture>
{
    private static readonly string LongName = new('n', 200);
    private static readonly string[] TwentyChars = [.. Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 20))];

    // name -> steps; the steps run on one connection per server, after FLUSHALL.
    private static readonly Dictionary<string, string[][]> Cases = new()
    {
        ["arity of fixed-arity commands"] = [["GET"], ["GET", "a", "b"], ["SETNX", "a"], ["INCR"], ["INCRBY", "a"], ["DECRBY", "a", "1", "2"], ["SETEX", "a", "10"], ["ECHO"], ["ECHO", "a", "b"], ["SELECT"], ["SELECT", "1", "2"], ["DBSIZE", "x"]],
        ["arity of variadic commands"] = [["SET", "k"], ["MGET"], ["DEL"], ["EXISTS"], ["MSET", "a"], ["MSET", "a", "b", "c"], ["PING", "a", "b"]],
        ["arity names the command in lower case"] = [["gEt"], ["SeT", "x"], ["mset", "a", "b", "c"]],
        ["arity of container commands and subcommands"] = [["CLIENT"], ["CLIENT", "SETNAME"], ["client", "getname", "x"], ["CLIENT", "ID", "x"]],
        ["unknown command"] = [["FOO"], ["FOO", "a", "b"], ["foo", "A b", "c\r\nd"], [""], [LongName, "x"], ["nosuch", .. TwentyChars], ["nosuch", "\0abc", "d"], ["nosuch", new string('w', 300)]],
        ["unknown subcommand"] = [["CLIENT", "FOO"], ["client", "foo", "bar"], ["CLIENT", LongName]],
        ["malformed integers"] = [["INCRBY", "a", "abc"], ["INCRBY", "a", "1.5"], ["INCRBY", "a", "9223372036854775808"], ["INCRBY", "a", " 1"], ["INCRBY", "a", "01"], ["INCRBY", "a", ""], ["DECRBY", "a", "-"], ["SELECT", "abc"], ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "2147483648"], ["SELECT", "-2147483649"]],
        ["integer overflow"] = [["SET", "n", "9223372036854775807"], ["INCR", "n"], ["INCRBY", "n", "1"], ["SET", "m", "-9223372036854775808"], ["DECR", "m"], ["DECRBY", "m", "1"], ["DECRBY", "x", "-9223372036854775808"], ["INCRBY", "x", "-9223372036854775808"], ["GET", "n"]],
        ["not an integer value"] = [["SET", "s", "abc"], ["INCR", "s"], ["SET", "s", "1.0"], ["INCR", "s"], ["SET", "s", " 1"], ["INCR", "s"], ["SET", "s", "12345678901234567890"], ["INCR", "s"]],
        ["SET options"] = [["SET", "a", "1", "EX", "abc"], ["SET", "a", "1", "EX", "0"], ["SET", "a", "1", "PX", "-1"], ["SET", "a", "1", "EX", "9223372036854775807"], ["SET", "a", "1", "NX", "XX"], ["SET", "a", "1", "EX", "10", "PX", "10"], ["SET", "a", "1", "EX", "10", "KEEPTTL"], ["SET", "a", "1", "EX"], ["SET", "a", "1", "BOGUS"], ["SET", "a", "1", "GET"], ["SET", "a", "2", "GET", "NX"], ["SET", "a", "3", "XX", "GET"], ["GET", "a"]],
        ["SETEX and PSETEX times"] = [["SETEX", "a", "0", "v"], ["SETEX", "a", "-1", "v"], ["SETEX", "a", "x", "v"], ["PSETEX", "a", "0", "v"], ["SETEX", "a", "9223372036854775807", "v"]],
        ["AUTH without requirepass"] = [["AUTH", "x"], ["AUTH", "default", "x"], ["AUTH", "a", "b", "c"]],
        ["HELLO errors"] = [["HELLO", "4"], ["HELLO", "abc"], ["HELLO", "1"], ["HELLO", "3", "AUTH", "default"], ["HELLO", "3", "BOGUS"]],
        ["EXPIRE option conflicts"] = [["SET", "a", "1"], ["EXPIRE", "a", "10", "NX", "XX"], ["EXPIRE", "a", "10", "GT", "LT"], ["EXPIRE", "a", "10", "NX", "GT"], ["EXPIRE", "a", "10", "BOGUS"], ["EXPIRE", "a", "abc"], ["EXPIRE", "a", "9223372036854775807"], ["PEXPIRE", "a", "9223372036854775807"]],
        ["RENAME and COPY errors"] = [["RENAME", "nokey", "x"], ["RENAMENX", "nokey", "x"], ["SET", "a", "1"], ["COPY", "a", "a"], ["COPY", "a", "b", "DB", "16"], ["COPY", "a", "b", "DB", "abc"], ["MOVE", "a", "0"], ["MOVE", "a", "16"], ["COPY", "a", "b", "BOGUS"]],
        ["string range errors"] = [["SET", "s", "hello"], ["GETRANGE", "s", "x", "1"], ["SETRANGE", "s", "-1", "x"], ["SETRANGE", "s", "536870912", "x"], ["SETRANGE", "nokey", "536870912", ""], ["APPEND", "s", ""], ["STRLEN", "s"]],
        ["INCRBYFLOAT errors"] = [["SET", "f", "1"], ["INCRBYFLOAT", "f", "inf"], ["INCRBYFLOAT", "f", "abc"], ["INCRBYFLOAT", "f", ""], ["SET", "f", "abc"], ["INCRBYFLOAT", "f", "1"], ["SET", "f", "1e308"], ["INCRBYFLOAT", "f", "1e308"]],
        ["GETEX options"] = [["SET", "a", "1"], ["GETEX", "a", "EX", "10", "PX", "10"], ["GETEX", "a", "EX", "0"], ["GETEX", "a", "PERSIST", "EX", "10"], ["GETEX", "a", "EX"], ["GETEX", "a", "BOGUS"]],
        ["MEMORY"] = [["MEMORY"], ["MEMORY", "FOO"], ["MEMORY", "USAGE"], ["MEMORY", "USAGE", "nokey"], ["SET", "a", "1"], ["MEMORY", "USAGE", "a", "SAMPLES"], ["MEMORY", "USAGE", "a", "SAMPLES", "x"], ["MEMORY", "USAGE", "a", "SAMPLES", "-1"], ["MEMORY", "USAGE", "a", "FOO", "1"], ["MEMORY", "PURGE"], ["MEMORY", "HELP"], ["MEMORY", "STATS", "x"]],
        ["OBJECT"] = [["OBJECT"], ["OBJECT", "FOO"], ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "nokey"]],
        ["SWAPDB errors"] = [["SWAPDB", "0", "16"], ["SWAPDB", "abc", "0"], ["SWAPDB", "0", "abc"], ["SWAPDB", "-1", "0"]],
        ["CONFIG errors"] = [["CONFIG"], ["CONFIG", "FOO"], ["CONFIG", "GET"], ["CONFIG", "SET", "nosuchparam", "1"], ["CONFIG", "SET", "hz"], ["CONFIG", "SET", "hz", "abc"], ["CONFIG", "SET", "save", "100 x"], ["CONFIG", "SET", "save", "100"], ["CONFIG", "SET", "save", "0 1"], ["CONFIG", "SET", "save", "1 -1"]],
        ["CLIENT errors"] = [["CLIENT", "KILL", "foo", "bar"], ["CLIENT", "KILL", "ID", "abc"], ["CLIENT", "KILL", "ID", "0"], ["CLIENT", "KILL", "TYPE", "foo"], ["CLIENT", "KILL", "SKIPME", "maybe"], ["CLIENT", "KILL", "USER", "nouser"], ["CLIENT", "KILL", "ID", "1", "TYPE"], ["CLIENT", "KILL", "MAXAGE", "1"], ["CLIENT", "KILL", "LADDR", "1.1.1.1:1"], ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID", "999999"], ["CLIENT", "LIST", "TYPE", "bogus"], ["CLIENT", "LIST", "ID", "abc"], ["CLIENT", "LIST", "ID", "999999"], ["CLIENT", "NO-EVICT", "maybe"], ["CLIENT", "REPLY", "maybe"], ["CLIENT", "SETNAME", "a b"], ["CLIENT", "SETNAME", "ok"], ["CLIENT", "GETNAME"]],
        ["CLUSTER is disabled"] = [["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["CLUSTER", "FOO"]],
        ["COMMAND errors"] = [["COMMAND", "FOO"], ["COMMAND", "INFO", "nosuchcommand"], ["COMMAND", "COUNT", "x"]],
    };

    private readonly RedisServerFixture _fixture;

    public ErrorTextCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [RedisTheory]
    [MemberData(nameof(CaseNames))]
    public async Task RepliesMatchRedis(string name)
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["FLUSHALL"]);
        foreach (var step in Cases[name])
        {
            await session.CompareAsync([.. step]);
        }
    }

    [RedisFact]
    public async Task ErrorsAfterErrorsLeaveTheConnectionUsable()
    {
        await using var session = await _fixture.OpenSessionAsync();
        var batch = new List<byte>();
        string[][] commands = [["FOO"], ["GET"], ["SET", "k", "v", "NX", "XX"], ["INCR", "k"], ["SET", "k", "v"], ["GET", "k"]];
        foreach (var command in commands)
        {
            batch.AddRange(Infrastructure.RespTestClient.Encode([.. command]));
        }

        // One pipelined packet: every reply in order, errors included.
        await Task.WhenAll(session.Kv.WriteRawAsync(batch.ToArray()), session.Redis.WriteRawAsync(batch.ToArray()));
        foreach (var command in commands)
        {
            var reply = await session.CompareReadAsync(string.Join(' ', command));
            Assert.NotEqual('?', reply.Type);
        }
    }
}
