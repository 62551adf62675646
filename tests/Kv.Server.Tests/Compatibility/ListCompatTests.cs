using System.Globalization;
using Kv.Server.Tests.Compatibility.Streams;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// A seeded random stream of list commands (with string keys colliding for WRONGTYPE, and blocking
/// pops with tiny timeouts) against kv-server and a real redis-server: every reply must agree.
/// Each step ends with LRANGE of a touched key, so a difference in contents shows at once.
/// </summary>
public sealed class ListCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public ListCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private static int Steps => int.TryParse(Environment.GetEnvironmentVariable("KV_COMPAT_STEPS"), CultureInfo.InvariantCulture, out int steps) ? steps : 1500;

    [RedisTheory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task SeededListStreamGetsTheSameRepliesAsRedis(int seed)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        var stream = new CommandStream(seed);
        int errors = 0;
        for (int step = 0; step < Steps; step++)
        {
            var args = ListCommandGenerator.Next(stream);
            var reply = await session.CompareAsync(args);
            if (reply.IsError)
            {
                errors++;
            }

            await session.CompareAsync(["LRANGE", args.Length > 1 && args[1] is string key && key.StartsWith('l') ? key : "l0", "0", "-1"]);
        }

        Assert.True(errors < Steps / 2, $"{errors} of {Steps} commands were errors; the stream mostly tests error paths.");
    }
}
