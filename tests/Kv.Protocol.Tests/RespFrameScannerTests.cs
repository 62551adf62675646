using System.Text;
using Kv.Protocol;

namespace Kv.Protocol.Tests;

public sealed class RespFrameScannerTests
{
    [Theory]
    [InlineData("+OK\r\n")]
    [InlineData("-ERR bad\r\n")]
    [InlineData(":-42\r\n")]
    [InlineData("$5\r\nhello\r\n")]
    [InlineData("$-1\r\n")]
    [InlineData("$0\r\n\r\n")]
    [InlineData("*-1\r\n")]
    [InlineData("*2\r\n$1\r\na\r\n:1\r\n")]
    [InlineData("%1\r\n+k\r\n*1\r\n_\r\n")]
    [InlineData("~2\r\n#t\r\n,1.5\r\n")]
    [InlineData(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n")]
    [InlineData("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n")]
    [InlineData("=8\r\ntxt:some\r\n")]
    [InlineData("(123456789012345678901234567890\r\n")]
    [InlineData("*3\r\n*0\r\n%0\r\n~0\r\n")]
    public void FindsTheEndOfEachFrame(string frame)
    {
        var bytes = Encoding.ASCII.GetBytes(frame + "+NEXT\r\n");
        var scan = RespFrameScanner.Scan(bytes);
        Assert.Equal(RespFrameStatus.Complete, scan.Status);
        Assert.Equal(frame.Length, scan.Length);

        // Every proper prefix is incomplete, never invalid, and asks for more than it has.
        for (int i = 0; i < frame.Length; i++)
        {
            var partial = RespFrameScanner.Scan(bytes.AsSpan(0, i));
            Assert.Equal(RespFrameStatus.Incomplete, partial.Status);
            Assert.True(partial.Length > i);
        }
    }

    [Fact]
    public void IncompleteBulkSaysHowManyBytesItNeeds()
    {
        var scan = RespFrameScanner.Scan("$100000\r\nabc"u8);
        Assert.Equal(RespFrameStatus.Incomplete, scan.Status);
        Assert.Equal(9 + 100000 + 2, scan.Length);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n")]
    [InlineData(":12x\r\n")]
    [InlineData("$abc\r\n")]
    [InlineData("$3\r\nabcde\r\n")]
    [InlineData("#x\r\n")]
    [InlineData("_x\r\n")]
    [InlineData("%-1\r\n")]
    public void RejectsWhatIsNotResp(string text)
    {
        var scan = RespFrameScanner.Scan(Encoding.ASCII.GetBytes(text));
        Assert.Equal(RespFrameStatus.Invalid, scan.Status);
        Assert.StartsWith("Protocol error:", scan.Error);
    }
}
