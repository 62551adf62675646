using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests;

public sealed class SmokeTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public SmokeTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SetThenGetRoundTripsOverASocket()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("SET", "smoke:key", "value")).ToString());
        Assert.Equal("$value", (await client.SendAsync("GET", "smoke:key")).ToString());
        Assert.Equal(":1", (await client.SendAsync("DEL", "smoke:key")).ToString());
        Assert.True((await client.SendAsync("GET", "smoke:key")).IsNull);
    }

    [Fact]
    public async Task PipelinedCommandsAreAnsweredInOrder()
    {
        await using var client = await _fixture.ConnectAsync();
        var batch = new List<byte>();
        for (int i = 0; i < 1000; i++)
        {
            batch.AddRange(RespTestClient.Encode("INCR", "smoke:counter"));
        }

        await client.WriteRawAsync(batch.ToArray());
        for (int i = 1; i <= 1000; i++)
        {
            Assert.Equal(i, (await client.ReadReplyAsync()).Integer);
        }
    }
}
