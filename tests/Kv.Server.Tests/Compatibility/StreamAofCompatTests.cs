using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Consumer groups through the append-only file both ways with Debian's redis-server 7.0: the files
/// kv-server writes for <see cref="StreamGroupWorkload"/> pass redis-check-aof and load into
/// redis-server with the same XINFO STREAM FULL (delivery times exactly: XCLAIM … TIME is absolute),
/// and the files redis-server writes for it load into kv-server as they load into redis-server.
/// </summary>
public sealed class StreamAofCompatTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-stream-aof-compat-");

    public void Dispose()
    {
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [RedisFact("redis-server", "redis-check-aof")]
    public async Task KvServerConsumerGroupAofLoadsIntoRedisServer()
    {
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "kv")).FullName;
        List<string> expected;
        await using (var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--appendfsync", "always", "--dir", kvDir]))
        {
            await StreamGroupWorkload.RunAsync(kv.Port, () => Task.CompletedTask);
            expected = await StreamGroupWorkload.SnapshotAsync(kv.Port, maskIdle: true);
        }

        var check = await ExternalProcess.RunAsync(RedisBinaries.Find("redis-check-aof")!, [Path.Combine(kvDir, "appendonlydir", "appendonly.aof.manifest")], TimeSpan.FromSeconds(60));
        Assert.True(check.ExitCode == 0, check.ToString());

        await using var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", kvDir);
        AssertSame(expected, await StreamGroupWorkload.SnapshotAsync(redis.Port, maskIdle: true));
    }

    [RedisFact]
    public async Task RedisServerConsumerGroupAofLoadsIntoKvServer()
    {
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "redis")).FullName;
        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always", "--dir", redisDir))
        {
            await StreamGroupWorkload.RunAsync(redis.Port, () => Task.CompletedTask);
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
        }

        // What redis-server itself makes of its files (Redis 7.0 propagates a group's entries-read only
        // after NOACK reads, so a reload is not the live state in every detail; the workload ends with one).
        await using (var redis = await ServerProcess.StartRedisAsync("--appendonly", "yes", "--dir", redisDir))
        {
            expected = await StreamGroupWorkload.SnapshotAsync(redis.Port, maskIdle: true);
        }

        await using var kv = await KvServerFixture.StartAsync(["--appendonly", "yes", "--dir", redisDir]);
        AssertSame(expected, await StreamGroupWorkload.SnapshotAsync(kv.Port, maskIdle: true));
    }

    private static void AssertSame(List<string> expected, List<string> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
