using System.Text;

namespace Kv.Protocol.Tests;

/// <summary>
/// The request parser against what redis-server 7.0.15 does with the same bytes (each expectation
/// here was checked by sending the bytes to a real redis-server and reading its reply).
/// </summary>
public sealed class RespRequestParserTests
{
    private static readonly RequestLimits Authenticated = new(512L * 1024 * 1024, authenticated: true);
    private static readonly RequestLimits Unauthenticated = new(512L * 1024 * 1024, authenticated: false);

    public static TheoryData<string, string[]> Frames => new()
    {
        { "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", ["SET", "k", "value"] },
        { "*2\r\n$4\r\nECHO\r\n$6\r\na\r\nb\r\n\r\n", ["ECHO", "a\r\nb\r\n"] },
        { "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", ["ECHO", ""] },
        { "*1\r\n$4\r\nPING\r\n", ["PING"] },
        { "*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$2\r\nlm\r\n", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "lm"] },
        { "PING\r\n", ["PING"] },
        { "PING\n", ["PING"] },
        { "SET k \"a b\"\n", ["SET", "k", "a b"] },
        { "ECHO \"\\x41\\n\\\"q\"\r\n", ["ECHO", "A\n\"q"] },
        { "ECHO 'it\\'s'\r\n", ["ECHO", "it's"] },
        { "  SET\tk   v  \r\n", ["SET", "k", "v"] },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void EveryPrefixNeedsMoreDataAndTheWholeFrameCompletes(string frame, string[] expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(frame);
        for (int length = 0; length < bytes.Length; length++)
        {
            var args = new ArgRangeList();
            var result = RespRequestParser.Parse(bytes.AsSpan(0, length), Authenticated, args, new ScratchBuffer());
            Assert.True(result.Status == RequestStatus.NeedMoreData, $"prefix of {length} bytes: {result.Status} {result.Error}");
            Assert.Equal(0, args.Count);
        }

        var (status, consumed, parsed) = ParseOne(bytes, Authenticated);
        Assert.Equal(RequestStatus.Complete, status);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void ResumedParsingOverGrowingPrefixesGivesTheSameArguments(string frame, string[] expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(frame);
        for (int split = 0; split < bytes.Length; split++)
        {
            // The first part arrives, then the rest: parsing resumes where it stopped.
            var args = new ArgRangeList();
            var scratch = new ScratchBuffer();
            var progress = default(MultiBulkProgress);
            var first = RespRequestParser.Parse(bytes.AsSpan(0, split), Authenticated, args, scratch, ref progress);
            Assert.Equal(RequestStatus.NeedMoreData, first.Status);
            var second = RespRequestParser.Parse(bytes, Authenticated, args, scratch, ref progress);
            Assert.Equal(RequestStatus.Complete, second.Status);
            Assert.Equal(bytes.Length, second.Consumed);
            Assert.False(progress.InProgress);
            Assert.Equal(expected, Strings(second.IsInline ? scratch.Array : bytes, args, 0, args.Count));
        }
    }

    [Fact]
    public void ResumingAtEveryByteOfAManyArgumentCommandParsesEachArgumentOnce()
    {
        var sb = new StringBuilder("*1000\r\n");
        for (int i = 0; i < 1000; i++)
        {
            sb.Append(CultureFree($"${i.ToString(System.Globalization.CultureInfo.InvariantCulture).Length}\r\n{i}\r\n"));
        }

        byte[] bytes = Encoding.ASCII.GetBytes(sb.ToString());
        var args = new ArgRangeList();
        var progress = default(MultiBulkProgress);
        RequestParseResult result = default;
        for (int length = 1; length <= bytes.Length; length++)
        {
            result = RespRequestParser.Parse(bytes.AsSpan(0, length), Authenticated, args, new ScratchBuffer(), ref progress);
            if (length < bytes.Length)
            {
                Assert.Equal(RequestStatus.NeedMoreData, result.Status);
            }
        }

        Assert.Equal(RequestStatus.Complete, result.Status);
        Assert.Equal(1000, args.Count);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(bytes, args[i].Offset, args[i].Length));
        }
    }

    [Fact]
    public void APipelineOfManyCommandsParsesInOrder()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            sb.Append(i % 2 == 0 ? $"*2\r\n$4\r\nINCR\r\n${Digits(i)}\r\n{i}\r\n" : $"GET {i}\r\n");
        }

        byte[] bytes = Encoding.ASCII.GetBytes(sb.ToString());
        int position = 0;
        for (int i = 0; i < 5000; i++)
        {
            var (status, consumed, parsed) = ParseOne(bytes.AsSpan(position).ToArray(), Authenticated);
            Assert.Equal(RequestStatus.Complete, status);
            Assert.Equal([i % 2 == 0 ? "INCR" : "GET", i.ToString(System.Globalization.CultureInfo.InvariantCulture)], parsed);
            position += consumed;
        }

        Assert.Equal(bytes.Length, position);
    }

    [Theory]
    [InlineData("\r\n", 2)]
    [InlineData("\n", 1)]
    [InlineData("   \r\n", 5)]
    [InlineData("\r\r\n", 3)]
    [InlineData("*0\r\n", 4)]
    [InlineData("*-1\r\n", 5)]
    [InlineData("*-5\r\n", 5)]
    public void EmptyRequestsAreSkipped(string input, int consumed)
    {
        var args = new ArgRangeList();
        var result = RespRequestParser.Parse(Encoding.ASCII.GetBytes(input + "PING\r\n"), Authenticated, args, new ScratchBuffer());
        Assert.Equal(RequestStatus.Empty, result.Status);
        Assert.Equal(consumed, result.Consumed);
        Assert.Equal(0, args.Count);
    }

    // The exact inline splitting of sdssplitargs (Redis 7.0), byte for byte.
    [Theory]
    [InlineData("ECHO \"\"", new[] { "ECHO", "" })]
    [InlineData("ECHO ''", new[] { "ECHO", "" })]
    [InlineData("\"ECHO\" x", new[] { "ECHO", "x" })]
    [InlineData("ECHO \"\\\\\"", new[] { "ECHO", "\\" })]
    [InlineData("ECHO \"\\t\\r\\b\\a\"", new[] { "ECHO", "\t\r\b\a" })]
    [InlineData("ECHO 'a\\\"b'", new[] { "ECHO", "a\\\"b" })]
    [InlineData("ECHO 'a\\nb'", new[] { "ECHO", "a\\nb" })]
    [InlineData("ECHO \"\\xff\"", new[] { "ECHO", "\u00ff" })]
    [InlineData("ECHO \"\\xAb\"", new[] { "ECHO", "\u00ab" })]
    [InlineData("ECHO \"\\x4\"", new[] { "ECHO", "x4" })]
    [InlineData("ECHO \"\\xZZ\"", new[] { "ECHO", "xZZ" })]
    [InlineData("ECHO \"a\\qb\"", new[] { "ECHO", "aqb" })]
    [InlineData("ECHO a\"b\"", new[] { "ECHO", "ab" })]
    [InlineData("ECHO \"a\" 'b'", new[] { "ECHO", "a", "b" })]
    [InlineData("ECHO \"a\"\u000bb", new[] { "ECHO", "a", "b" })]
    [InlineData("ECHO \u000bx", new[] { "ECHO", "x" })]
    [InlineData("ECHO\u000bx", new[] { "ECHO\u000bx" })]
    [InlineData("ECHO a\rb", new[] { "ECHO", "a", "b" })]
    [InlineData("ECHO a\r", new[] { "ECHO", "a" })]
    [InlineData("ECHO \"\u000b\"", new[] { "ECHO", "\u000b" })]
    public void InlineArgumentsAreSplitLikeSdssplitargs(string line, string[] expected)
    {
        var (status, consumed, parsed) = ParseOne(Encoding.Latin1.GetBytes(line + "\r\n"), Authenticated);
        Assert.Equal(RequestStatus.Complete, status);
        Assert.Equal(line.Length + 2, consumed);
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("*abc\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*2147483648\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*01\r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*+1\r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("* 1\r\n$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*-0\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*1\nPING\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$abc\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-0\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$04\r\nPING\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$4\nPING\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-1\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$629145600\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'")]
    [InlineData("*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '")]
    [InlineData("*1\r\n\nabc\r\n", "ERR Protocol error: expected '$', got ' '")]
    [InlineData("*1\r\n\u00ffabc\r\n", "ERR Protocol error: expected '$', got '\u00ff'")]
    [InlineData("*2\r\n$4\r\nECHO\r\n*1\r\n", "ERR Protocol error: expected '$', got '*'")]
    [InlineData("ECHO \"abc\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO \"abc\"d\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO 'abc'd\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO \"a\"'b'\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO '\\\\'\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO \"x\\\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("ECHO '\r\n", "ERR Protocol error: unbalanced quotes in request")]
    public void MalformedRequestsGetRedisErrorText(string input, string error)
    {
        var args = new ArgRangeList();
        var result = RespRequestParser.Parse(Encoding.Latin1.GetBytes(input), Authenticated, args, new ScratchBuffer());
        Assert.Equal(RequestStatus.ProtocolError, result.Status);
        Assert.Equal(error, result.Error);
        Assert.Equal(0, args.Count);
    }

    [Theory]
    [InlineData("*1\r\n$abc")] // Redis validates a line only once its "\r" and the byte after it arrived
    [InlineData("*abc")]
    [InlineData("*abc\r")]
    [InlineData("*1\r\nx")]
    [InlineData("*1\r\nx\r")]
    [InlineData("*1\r")]
    [InlineData("*1\r\n$4\r\nPI")]
    [InlineData("*1048577\r\n")]
    [InlineData("*2147483647\r\n")]
    [InlineData("*1\r\n$536870912\r\n")]
    [InlineData("*1\r\n\0abc\r\n")] // strchr stops at NUL: no line yet
    [InlineData("*1\0\r\n$4\r\nPING\r\n")]
    [InlineData("*1\r\n$4\0\r\nPING\r\n")]
    [InlineData("ECHO a\0b\r\n")]
    [InlineData("PING\0\r\n")]
    public void IncompleteOrNulHiddenLinesWaitForMoreData(string input)
    {
        var result = RespRequestParser.Parse(Encoding.Latin1.GetBytes(input), Authenticated, new ArgRangeList(), new ScratchBuffer());
        Assert.Equal(RequestStatus.NeedMoreData, result.Status);
    }

    [Fact]
    public void TheTwoBytesAfterBulkDataAreSkippedUnchecked()
    {
        // redis-server answers "$3\r\nabcXY" as the command "abc", and "PINGXY" then a PING as two PINGs.
        var (status, consumed, parsed) = ParseOne("*1\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n"u8.ToArray(), Authenticated);
        Assert.Equal(RequestStatus.Complete, status);
        Assert.Equal(13, consumed);
        Assert.Equal(["abc"], parsed);
    }

    [Fact]
    public void InlineRequestsAreLimitedTo64KbWithoutNewline()
    {
        Assert.Equal(RequestStatus.NeedMoreData, Parse(new string('x', 65536)).Status);
        var tooBig = Parse(new string('x', 65537));
        Assert.Equal(RequestStatus.ProtocolError, tooBig.Status);
        Assert.Equal("ERR Protocol error: too big inline request", tooBig.Error);
    }

    [Fact]
    public void CountLinesAreLimitedTo64Kb()
    {
        Assert.Equal(RequestStatus.NeedMoreData, Parse("*" + new string('1', 65535)).Status);
        Assert.Equal("ERR Protocol error: too big mbulk count string", Parse("*" + new string('1', 65536)).Error);

        // Redis counts from the '$': 65540 bytes in all wait, 65541 are refused.
        Assert.Equal(RequestStatus.NeedMoreData, Parse("*1\r\n$" + new string('1', 65535)).Status);
        Assert.Equal("ERR Protocol error: too big bulk count string", Parse("*1\r\n$" + new string('1', 65536)).Error);
    }

    [Fact]
    public void ProtoMaxBulkLenIsEnforced()
    {
        var limits = new RequestLimits(1024 * 1024, authenticated: true);
        var args = new ArgRangeList();
        Assert.Equal(RequestStatus.NeedMoreData, RespRequestParser.Parse("*1\r\n$1048576\r\n"u8, limits, args, new ScratchBuffer()).Status);
        var refused = RespRequestParser.Parse("*1\r\n$1048577\r\n"u8, limits, args, new ScratchBuffer());
        Assert.Equal("ERR Protocol error: invalid bulk length", refused.Error);
    }

    [Fact]
    public void UnauthenticatedClientsAreLimitedToTenArgumentsOf16Kb()
    {
        Assert.Equal(RequestStatus.NeedMoreData, Parse("*10\r\n", Unauthenticated).Status);
        Assert.Equal("ERR Protocol error: unauthenticated multibulk length", Parse("*11\r\n", Unauthenticated).Error);
        Assert.Equal(RequestStatus.NeedMoreData, Parse("*2\r\n$4\r\nPING\r\n$16384\r\n", Unauthenticated).Status);
        Assert.Equal("ERR Protocol error: unauthenticated bulk length", Parse("*2\r\n$4\r\nPING\r\n$16385\r\n", Unauthenticated).Error);

        // Inline requests have no such limit in Redis 7.0 (only the 64 KB line limit).
        Assert.Equal(RequestStatus.Complete, Parse("ECHO " + new string('x', 20000) + "\r\n", Unauthenticated).Status);
        Assert.Equal(RequestStatus.NeedMoreData, Parse("*11\r\n", Authenticated).Status);
    }

    [Fact]
    public void ALargeBulkTellsHowManyBytesItNeeds()
    {
        var result = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nab");
        Assert.Equal(RequestStatus.NeedMoreData, result.Status);
        Assert.Equal(20 + 6 + 100 + 2, result.BytesNeeded);
    }

    private static RequestParseResult Parse(string input, RequestLimits? limits = null)
        => RespRequestParser.Parse(Encoding.Latin1.GetBytes(input), limits ?? Authenticated, new ArgRangeList(), new ScratchBuffer());

    private static (RequestStatus Status, int Consumed, string[] Args) ParseOne(byte[] bytes, RequestLimits limits)
    {
        var args = new ArgRangeList();
        var scratch = new ScratchBuffer();
        var result = RespRequestParser.Parse(bytes, limits, args, scratch);
        return (result.Status, result.Consumed, Strings(result.IsInline ? scratch.Array : bytes, args, 0, args.Count));
    }

    private static string[] Strings(byte[] source, ArgRangeList args, int first, int count)
    {
        var result = new string[count];
        for (int i = 0; i < count; i++)
        {
            var range = args[first + i];
            result[i] = Encoding.Latin1.GetString(source, range.Offset, range.Length);
        }

        return result;
    }

    private static int Digits(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;

    private static string CultureFree(FormattableString text) => FormattableString.Invariant(text);
}
