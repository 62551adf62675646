using System.Buffers;
using System.Text;

namespace Kv.Protocol.Tests;

/// <summary>Every frame the writer produces, in RESP2 and RESP3, as redis-server 7.0 writes it.</summary>
public sealed class RespWriterTests
{
    [Theory]
    [InlineData(2, "+OK\r\n")]
    [InlineData(3, "+OK\r\n")]
    public void Ok(int protocol, string expected) => AssertWrites(protocol, expected, w => w.Ok());

    [Fact]
    public void SimpleStringsErrorsAndIntegers()
    {
        AssertWrites(2, "+PONG\r\n", w => w.SimpleString("PONG"u8));
        AssertWrites(2, "+PONG\r\n", w => w.SimpleString("PONG"));
        AssertWrites(2, "-ERR bad\r\n", w => w.Error("ERR bad"u8));
        AssertWrites(3, "-ERR a  b c\r\n", w => w.Error("ERR a\r\nb\nc")); // each CR and LF becomes a space, as in Redis
        AssertWrites(2, ":0\r\n:-1\r\n:9223372036854775807\r\n:-9223372036854775808\r\n", w =>
        {
            w.Integer(0);
            w.Integer(-1);
            w.Integer(long.MaxValue);
            w.Integer(long.MinValue);
        });
    }

    [Fact]
    public void ErrorsAreCounted()
    {
        var writer = new RespWriter(new ArrayBufferWriter<byte>());
        writer.Error("ERR x");
        writer.Error("ERR y"u8);
        writer.Ok();
        Assert.Equal(2, writer.ErrorCount);
    }

    [Theory]
    [InlineData(2, "$-1\r\n", "*-1\r\n")]
    [InlineData(3, "_\r\n", "_\r\n")]
    public void Nulls(int protocol, string nullBulk, string nullArray)
    {
        AssertWrites(protocol, nullBulk, w => w.NullBulk());
        AssertWrites(protocol, nullArray, w => w.NullArray());
    }

    [Theory]
    [InlineData(2, "*2\r\n", "*4\r\n", "*3\r\n", "*3\r\n")]
    [InlineData(3, "*2\r\n", "%2\r\n", "~3\r\n", ">3\r\n")]
    public void AggregateHeaders(int protocol, string array, string map, string set, string push)
    {
        AssertWrites(protocol, array, w => w.ArrayHeader(2));
        AssertWrites(protocol, map, w => w.MapHeader(2));
        AssertWrites(protocol, set, w => w.SetHeader(3));
        AssertWrites(protocol, push, w => w.PushHeader(3));
    }

    [Theory]
    [InlineData(2, ":1\r\n:0\r\n")]
    [InlineData(3, "#t\r\n#f\r\n")]
    public void Booleans(int protocol, string expected) => AssertWrites(protocol, expected, w =>
    {
        w.Boolean(true);
        w.Boolean(false);
    });

    // Expected texts are C's printf("%.17g") output, which Redis 7.0 uses for double replies.
    [Theory]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(-0.0, "-0")]
    [InlineData(0.0, "0")]
    [InlineData(1e20, "1e+20")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(1.5, "1.5")]
    [InlineData(-1.25, "-1.25")]
    [InlineData(1e-5, "1.0000000000000001e-05")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1e17, "1e+17")]
    [InlineData(123456789.123, "123456789.123")]
    [InlineData(2.5e-300, "2.5e-300")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.Epsilon, "4.9406564584124654e-324")]
    public void DoublesAreFormattedLikePercent17g(double value, string text)
    {
        AssertWrites(3, $",{text}\r\n", w => w.Double(value));
        AssertWrites(2, $"${text.Length}\r\n{text}\r\n", w => w.Double(value));
    }

    [Fact]
    public void BigNumbersAndVerbatimStrings()
    {
        AssertWrites(3, "(3492890328409238509324850943850943825024385\r\n", w => w.BigNumber("3492890328409238509324850943850943825024385"u8));
        AssertWrites(2, "$5\r\n12345\r\n", w => w.BigNumber("12345"u8));
        AssertWrites(3, "=15\r\ntxt:Some string\r\n", w => w.Verbatim("Some string"u8));
        AssertWrites(3, "=7\r\nmkd:# x\r\n", w => w.Verbatim("# x"u8, "mkd"));
        AssertWrites(2, "$11\r\nSome string\r\n", w => w.Verbatim("Some string"u8));
    }

    [Fact]
    public void BulkStrings()
    {
        AssertWrites(2, "$0\r\n\r\n", w => w.Bulk(ReadOnlySpan<byte>.Empty));
        AssertWrites(2, "$4\r\na\r\nb\r\n", w => w.Bulk("a\r\nb"u8));
        AssertWrites(3, "$2\r\n\u00c3\u00a9\r\n", w => w.Bulk("é")); // UTF-8, two bytes
        AssertWrites(2, "$20\r\n-9223372036854775808\r\n", w => w.BulkInteger(long.MinValue));
    }

    [Theory]
    [InlineData(64 * 1024)]
    [InlineData((64 * 1024) + 1)]
    [InlineData(200_000)]
    [InlineData(3 * 1024 * 1024)]
    public void LargeBulksAreWrittenWhole(int size)
    {
        var value = new byte[size];
        new Random(size).NextBytes(value);
        var expected = new List<byte>();
        expected.AddRange(Encoding.ASCII.GetBytes($"${size}\r\n"));
        expected.AddRange(value);
        expected.AddRange("\r\n"u8.ToArray());

        // Through a writer that hands out exactly what is asked for, as a pipe near a segment end does.
        var output = new ExactSizeBufferWriter();
        var writer = new RespWriter(output);
        writer.Bulk(value);
        Assert.Equal(expected.ToArray(), output.Written);
        Assert.Equal(expected.Count, writer.BytesWritten);
        Assert.True(output.LargestRequest <= (64 * 1024) + 16, $"asked for {output.LargestRequest} bytes at once");

        var plain = new ArrayBufferWriter<byte>();
        new RespWriter(plain).Bulk(value);
        Assert.Equal(expected.ToArray(), plain.WrittenSpan.ToArray());
    }

    [Fact]
    public void BytesWrittenCountsEveryFrame()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RespWriter(output, protocol: 3);
        writer.Ok();
        writer.Integer(42);
        writer.MapHeader(1);
        writer.Bulk("k"u8);
        writer.Double(1.5);
        writer.Verbatim("txt"u8);
        writer.Error("ERR e");
        Assert.Equal(output.WrittenCount, writer.BytesWritten);
    }

    [Fact]
    public void OutputAndProtocolCanBeSwitched()
    {
        var first = new ArrayBufferWriter<byte>();
        var second = new ArrayBufferWriter<byte>();
        var writer = new RespWriter(first);
        writer.NullBulk();
        writer.Output = second;
        writer.Protocol = 3;
        writer.NullBulk();
        Assert.Equal("$-1\r\n", Encoding.ASCII.GetString(first.WrittenSpan));
        Assert.Equal("_\r\n", Encoding.ASCII.GetString(second.WrittenSpan));
        Assert.True(writer.IsResp3);
    }

    private static void AssertWrites(int protocol, string expected, Action<RespWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RespWriter(output, protocol);
        write(writer);
        Assert.Equal(expected, Encoding.Latin1.GetString(output.WrittenSpan));
        Assert.Equal(output.WrittenCount, writer.BytesWritten);
    }

    /// <summary>Returns spans of exactly the size asked for (at least 1), so frames that assume more room break.</summary>
    private sealed class ExactSizeBufferWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public byte[] Written => _written.ToArray();

        public int LargestRequest { get; private set; }

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _current.Length);
            _written.AddRange(_current.AsSpan(0, count).ToArray());
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            LargestRequest = Math.Max(LargestRequest, sizeHint);
            _current = new byte[Math.Max(sizeHint, 1)];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
