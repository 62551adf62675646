using Kv.Server.Tests.Compatibility.Streams;

namespace Kv.Server.Tests.Compatibility;

/// <summary>A seeded random stream of sorted-set commands (with string keys in the way) against a real redis-server.</summary>
public sealed class SortedSetCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public SortedSetCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [InlineData(11, 2)]
    [InlineData(12, 3)]
    [InlineData(13, 2)]
    public async Task SeededStreamGetsTheSameRepliesAsRedis(int seed, int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.SendBothAsync(["HELLO", protocol.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var stream = new CommandStream(seed);
        for (int step = 0; step < 3000; step++)
        {
            var args = SortedSetCommandGenerator.Next(stream);

            // ZSCAN of a big (hashtable) set has no defined order; the stream's sets stay listpacks (ordered).
            await session.CompareAsync(args);
        }

        await session.CompareAsync(["DBSIZE"]);
    }
}
