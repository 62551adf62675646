using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// The issue's memory requirement, on a kv-server process: while a writer pushes ten times maxmemory
/// of data through it, the process grows by at most maxmemory plus a stated slack — 25% and 16 MB,
/// which covers the runtime's own growth while it compiles the command paths (this is the JIT build;
/// the AOT tool measures within 1.15x maxmemory + 10 MB, see the README) — for every policy.
/// Before keys lived in native blocks, evicted values waited as GC garbage and the process grew to
/// 2.5–3.5x maxmemory.
/// </summary>
public sealed class MemoryChurnTests
{
    private const long MaxMemory = 32L << 20;

    [Theory]
    [InlineData("allkeys-lru", 1000)]
    [InlineData("allkeys-lfu", 1000)]
    [InlineData("allkeys-random", 1000)]
    [InlineData("volatile-lru", 1000)]
    [InlineData("volatile-lfu", 1000)]
    [InlineData("volatile-random", 1000)]
    [InlineData("volatile-ttl", 1000)]
    [InlineData("allkeys-lru", 100)]
    public async Task ProcessStaysNearMaxmemoryWhileTenTimesItIsWritten(string policy, int valueSize)
    {
        await using var server = await ServerProcess.StartKvAsync("--maxmemory", "32mb", "--maxmemory-policy", policy, "--save", "");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long idle = server.ResidentBytes();

        const int Batch = 500;
        var value = new string('v', valueSize);
        var random = new Random(7);
        long total = 10 * MaxMemory / (valueSize + 16);
        for (long written = 0; written < total; written += Batch)
        {
            var commands = new StringBuilder();
            for (int i = 0; i < Batch; i++)
            {
                string key = "key:" + random.Next(100_000_000).ToString(CultureInfo.InvariantCulture);
                commands.Append(CultureInfo.InvariantCulture, $"*5\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${valueSize}\r\n{value}\r\n$2\r\nEX\r\n$6\r\n100000\r\n");
            }

            await c.WriteRawAsync(commands.ToString());
            for (int i = 0; i < Batch; i++)
            {
                var reply = await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("+OK", reply.ToString());
            }
        }

        long peak = server.PeakResidentBytes();
        long grown = peak - idle;
        long allowed = (MaxMemory * 5 / 4) + (16L << 20);
        Assert.True(grown <= allowed, $"{policy}: the process grew by {grown >> 20} MB (idle {idle >> 20} MB, peak {peak >> 20} MB); allowed {allowed >> 20} MB.");

        var memory = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "memory"));
        Assert.InRange(long.Parse(memory["used_memory"], CultureInfo.InvariantCulture), MaxMemory / 2, MaxMemory);
        var stats = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "stats"));
        Assert.True(long.Parse(stats["evicted_keys"], CultureInfo.InvariantCulture) > total / 2, $"evicted_keys {stats["evicted_keys"]} of {total} written");
    }
}
