using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Protocol;

public sealed class PipelineAndLargeValueTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public PipelineAndLargeValueTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task HundredThousandCommandsInOneWriteAreAllAnsweredInOrder()
    {
        const int count = 100_000;
        await using var client = await _fixture.ConnectAsync();
        byte[] one = RespTestClient.Encode("INCR", "proto:pipeline");
        var all = new byte[one.Length * count];
        for (int i = 0; i < count; i++)
        {
            one.CopyTo(all, i * one.Length);
        }

        var write = client.WriteRawAsync(all);
        for (int i = 1; i <= count; i++)
        {
            var reply = await client.ReadReplyAsync();
            if (reply.Integer != i)
            {
                Assert.Fail($"reply {i} was {reply}");
            }
        }

        await write;
    }

    [Fact]
    public async Task TwentyMegabyteValueArrivingInSmallWritesRoundTrips()
    {
        const int size = 20 * 1024 * 1024;
        var value = new byte[size];
        for (int i = 0; i < size; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }

        value[size / 2] = (byte)'\r';
        value[(size / 2) + 1] = (byte)'\n';
        byte[] frame = RespTestClient.Encode("SET", "proto:big", value);
        await using var client = await _fixture.ConnectAsync();
        for (int offset = 0; offset < frame.Length; offset += 16 * 1024)
        {
            await client.WriteRawAsync(frame[offset..Math.Min(frame.Length, offset + (16 * 1024))]);
        }

        Assert.Equal("+OK", (await client.ReadReplyAsync()).ToString());
        var got = await client.SendAsync("GET", "proto:big");
        Assert.Equal('$', got.Type);
        Assert.True(value.AsSpan().SequenceEqual(got.Bytes), "the value read back differs");
        Assert.Equal(":1", (await client.SendAsync("DEL", "proto:big")).ToString());
    }

    [Fact]
    public async Task ACommandWithManyArgumentsArrivingInSmallWritesIsParsedWhole()
    {
        const int keys = 100_000;
        var args = new object[keys + 1];
        args[0] = "DEL";
        for (int i = 1; i <= keys; i++)
        {
            args[i] = "proto:nokey:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        byte[] frame = RespTestClient.Encode(args);
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("SET", "proto:nokey:77777", "x")).ToString());
        for (int offset = 0; offset < frame.Length; offset += 4096)
        {
            await client.WriteRawAsync(frame[offset..Math.Min(frame.Length, offset + 4096)]);
        }

        Assert.Equal(":1", (await client.ReadReplyAsync()).ToString());
    }

    [Fact]
    public async Task ADeepPipelineOfLargeRepliesIsFlushedAsItGoes()
    {
        // 200 GETs of 256 KB in one write: the batch is cut whenever 1 MB of replies waits, and every
        // reply still arrives, whole and in order, with the INCRs between them.
        var value = new byte[256 * 1024];
        new Random(7).NextBytes(value);
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("SET", "proto:large", value)).ToString());
        var batch = new List<byte>();
        for (int i = 0; i < 200; i++)
        {
            batch.AddRange(RespTestClient.Encode("GET", "proto:large"));
            batch.AddRange(RespTestClient.Encode("INCR", "proto:large:count"));
        }

        var write = client.WriteRawAsync(batch.ToArray());
        for (int i = 1; i <= 200; i++)
        {
            var got = await client.ReadReplyAsync();
            Assert.True(value.AsSpan().SequenceEqual(got.Bytes), $"GET {i} differs");
            Assert.Equal(i, (await client.ReadReplyAsync()).Integer);
        }

        await write;
    }

    [Fact]
    public async Task FramesSplitAtEveryByteAreAnsweredOnce()
    {
        byte[] frames = [.. RespTestClient.Encode("SET", "proto:split", "a\r\nb"), .. Encoding.ASCII.GetBytes("GET proto:split\r\n"), .. RespTestClient.Encode("ECHO", "done")];
        await using var client = await _fixture.ConnectAsync();
        foreach (byte b in frames)
        {
            await client.WriteRawAsync([b]);
        }

        Assert.Equal("+OK", (await client.ReadReplyAsync()).ToString());
        Assert.Equal("$a\r\nb", (await client.ReadReplyAsync()).ToString());
        Assert.Equal("$done", (await client.ReadReplyAsync()).ToString());
    }
}
