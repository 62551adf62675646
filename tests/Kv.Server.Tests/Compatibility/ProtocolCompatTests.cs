using System.Text;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Raw bytes sent to both servers: protocol errors must get Redis's exact reply and the connection
/// must then be closed by both; the oddities Redis accepts (empty lines, bare LF, *0, *-1) must be
/// accepted alike.
/// </summary>
public sealed class ProtocolCompatTests : IClassFixture<RedisServerFixture>
{
    private static readonly Dictionary<string, (byte[] Bytes, int Replies, bool Closes)> Cases = new()
    {
        ["multibulk length not a number"] = (Ascii("*abc\r\n"), 1, true),
        ["multibulk length over INT_MAX"] = (Ascii("*2147483648\r\n"), 1, true),
        ["negative bulk length"] = (Ascii("*1\r\n$-5\r\n"), 1, true),
        ["bulk length not a number"] = (Ascii("*1\r\n$abc\r\n"), 1, true),
        ["bulk length over proto-max-bulk-len"] = (Ascii("*1\r\n$536870913\r\n"), 1, true),
        ["simple string instead of bulk"] = (Ascii("*1\r\n+foo\r\n"), 1, true),
        ["integer instead of bulk"] = (Ascii("*3\r\n$3\r\nSET\r\n$1\r\na\r\n:1\r\n"), 1, true),
        ["unbalanced double quote inline"] = (Ascii("set \"a b\r\n"), 1, true),
        ["unbalanced single quote inline"] = (Ascii("set 'a b\r\n"), 1, true),
        ["closing quote not followed by space"] = (Ascii("set \"a\"b c\r\n"), 1, true),
        ["inline request over 64KB without newline"] = (Ascii(new string('a', 70_000)), 1, true),
        ["multibulk count over 64KB without newline"] = (Ascii("*" + new string('1', 70_000)), 1, true),
        ["bulk count over 64KB without newline"] = (Ascii("*1\r\n$" + new string('1', 70_000)), 1, true),
        ["valid command then protocol error in one packet"] = (Ascii("PING\r\n*x\r\n"), 2, true),
        ["empty inline lines are ignored"] = (Ascii("\r\n\r\n\n PING \r\n"), 1, false),
        ["bare LF ends an inline command"] = (Ascii("ECHO hi\nPING\n"), 2, false),
        ["*0 and *-1 are ignored"] = (Ascii("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n"), 1, false),
        ["inline escapes and quotes"] = (Ascii("ECHO \"a\\x41\\n\\\"b\" 'c\\'d'\r\nECHO \"\\x4a\\x4b\"\r\n"), 2, false),
        ["inline unknown command"] = (Ascii("nosuchcommand a 'b c'\r\n"), 1, false),
        ["inline wrong arity"] = (Ascii("GET\r\n"), 1, false),
        ["quit closes after +OK"] = (Ascii("QUIT\r\n"), 1, true),
    };

    private readonly RedisServerFixture _fixture;

    public ProtocolCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [RedisTheory]
    [MemberData(nameof(CaseNames))]
    public async Task RawInputIsAnsweredAndClosedAsRedisDoes(string name)
    {
        var (bytes, replies, closes) = Cases[name];
        await using var session = await _fixture.OpenSessionAsync();
        await Task.WhenAll(session.Kv.WriteRawAsync(bytes), session.Redis.WriteRawAsync(bytes));
        for (int i = 0; i < replies; i++)
        {
            var reply = await session.CompareReadAsync($"{name} (reply {i + 1})");
            Assert.NotEqual('?', reply.Type); // a reply, not "connection closed" on both sides
        }

        if (closes)
        {
            await session.AssertBothClosedAsync(name);
        }
        else
        {
            // Still usable afterwards.
            await session.CompareAsync(["ECHO", "still open"]);
        }
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
