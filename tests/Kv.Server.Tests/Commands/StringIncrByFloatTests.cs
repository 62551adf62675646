using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// INCRBYFLOAT's long double arithmetic and <c>%.17Lf</c> formatting. Every row was produced by
/// redis-server 7.0.15 (x86-64) from the same SET + INCRBYFLOAT.
/// </summary>
public sealed class StringIncrByFloatTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public StringIncrByFloatTests(KvServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("10.5", "0.1", "$10.6")]
    [InlineData("0.1", "0.2", "$0.3")]
    [InlineData("5.0e3", "1", "$5001")]
    [InlineData("1", "5.0e3", "$5001")]
    [InlineData("0", "0.000003814697265625", "$0.00000381469726562")] // an exact tie: glibc rounds half to even
    [InlineData("0", "-0.000003814697265625", "$-0.00000381469726562")]
    [InlineData("3", "-3", "$0")]
    [InlineData("-0", "-0", "$0")] // "-0" is written "0"
    [InlineData("1e20", "1", "$100000000000000000000")] // 64-bit significand: +1 is lost
    [InlineData("1e4932", "1e4932", "-ERR increment would produce NaN or Infinity")]
    [InlineData("1e-5000", "1", "-ERR value is not a valid float")] // underflow to zero is refused
    [InlineData("1", "1e-5000", "-ERR value is not a valid float")]
    [InlineData("0", "1e-4940", "$0")] // a subnormal long double is accepted
    [InlineData("inf", "1", "-ERR increment would produce NaN or Infinity")]
    [InlineData("1", "-inf", "-ERR increment would produce NaN or Infinity")]
    [InlineData("1", "nan", "-ERR value is not a valid float")]
    [InlineData("1", "infinity", "-ERR increment would produce NaN or Infinity")]
    [InlineData("1", " 1", "-ERR value is not a valid float")]
    [InlineData("1", "1 ", "-ERR value is not a valid float")]
    [InlineData("1", "+1", "$2")]
    [InlineData("1", "0x10", "$17")] // strtold reads hex floats
    [InlineData("1", "0x1.8p3", "$13")]
    [InlineData("1", "0x", "-ERR value is not a valid float")]
    [InlineData("1", ".5", "$1.5")]
    [InlineData("1", "5.", "$6")]
    [InlineData("1", "-.5", "$0.5")]
    [InlineData("1", "1e", "-ERR value is not a valid float")]
    [InlineData("1", ".", "-ERR value is not a valid float")]
    [InlineData("1", "12a", "-ERR value is not a valid float")]
    [InlineData("1", "", "-ERR value is not a valid float")]
    [InlineData("abc", "1", "-ERR value is not a valid float")]
    [InlineData("1", "1E5", "$100001")]
    [InlineData("1", "1e-17", "$1.00000000000000001")]
    [InlineData("1", "1e-18", "$1")]
    [InlineData("0", "0.000000000000000005", "$0")]
    [InlineData("0", "0.000000000000000015", "$0.00000000000000002")]
    [InlineData("0", "0.000000000000000025", "$0.00000000000000002")]
    [InlineData("123456789012345678", "1", "$123456789012345679")]
    [InlineData("9223372036854775807", "1", "$9223372036854775808")]
    [InlineData("-9223372036854775808", "-1", "$-9223372036854775809")]
    [InlineData("1.1", "2.2", "$3.3")]
    [InlineData("3.3", "-1.1", "$2.2")]
    [InlineData("100", "-99.99", "$0.01")]
    [InlineData("5", "-5.00000000000000001", "$-0.00000000000000001")]
    [InlineData("1.23456789012345678901234567890", "0", "$1.23456789012345679")]
    [InlineData("99999999999999999999999", "1", "$100000000000000000000000")]
    [InlineData("1e25", "-1e25", "$0")]
    [InlineData("1", "123456789.123456789", "$123456790.12345678899873747")]
    [InlineData("7", "0x1p-2", "$7.25")]
    [InlineData("1", "1e99999999999", "-ERR value is not a valid float")]
    [InlineData("0", "0e99999999999", "$0")]
    [InlineData("1", "00000001.5000000", "$2.5")]
    [InlineData("1", "1,5", "-ERR value is not a valid float")]
    [InlineData("-1.5", "0.25", "$-1.25")]
    [InlineData("0.5", "-1", "$-0.5")]
    [InlineData("1e-3", "1e-4", "$0.0011")]
    [InlineData("12345.6789", "-0.0089", "$12345.66999999999999993")]
    [InlineData("2", "1e19", "$10000000000000000002")]
    [InlineData("-7.77", "-2.23", "$-10")]
    public async Task SumIsFormattedAsRedis(string initial, string increment, string expected)
    {
        await using var c = await _fixture.ConnectAsync();
        string key = "ibf:" + initial + "|" + increment;
        await c.Expect("+OK", "SET", key, initial);
        await c.Expect(expected, "INCRBYFLOAT", key, increment);
        if (expected.StartsWith('$'))
        {
            await c.Expect(expected, "GET", key);
        }
        else
        {
            await c.Expect("$" + initial, "GET", key); // an error leaves the value alone
        }
    }

    [Fact]
    public async Task MissingKeyStartsFromZero()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("$2.5", "INCRBYFLOAT", "ibf:new", "2.5");
        await c.Expect("$2.5", "GET", "ibf:new");
        await c.Expect("-ERR value is not a valid float", "INCRBYFLOAT", "ibf:new2", "abc");
        await c.Expect(":0", "EXISTS", "ibf:new2");
    }

    [Fact]
    public async Task LargeResultsPrintEveryIntegerDigit()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "ibf:big", "1");
        var reply = await c.SendAsync("INCRBYFLOAT", "ibf:big", "1e400");
        Assert.Equal(401, reply.Text!.Length);
        Assert.StartsWith("10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094", reply.Text);

        await c.Expect("+OK", "SET", "ibf:max", "1.7976931348623157e308");
        reply = await c.SendAsync("INCRBYFLOAT", "ibf:max", "1e308");
        Assert.Equal(309, reply.Text!.Length);
        Assert.StartsWith("2797693134862315700023522404413500787892", reply.Text);
    }

    [Fact]
    public async Task RepeatedSmallIncrementsStayExact()
    {
        await using var c = await _fixture.ConnectAsync();
        for (int i = 0; i < 10; i++)
        {
            await c.WriteCommandAsync("INCRBYFLOAT", "ibf:acc", "0.1");
        }

        string[] expected = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"];
        foreach (var text in expected)
        {
            Assert.Equal("$" + text, (await c.ReadReplyAsync()).ToString());
        }
    }
}
