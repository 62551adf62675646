using System.Globalization;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>RDB snapshots in-process: round trips of every type and encoding, corrupt files, BGSAVE's point-in-time view, DUMP/RESTORE, save points, MISCONF.</summary>
public sealed class RdbTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-rdb-");

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

    private string DumpPath => Path.Combine(_dir.FullName, "dump.rdb");

    private Task<KvServer> StartAsync(params string[] extra) => KvServerFixture.StartAsync(["--dir", _dir.FullName, .. extra]);

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public async Task SaveThenRestartKeepsEveryTypeEncodingAndTtl(string compression)
    {
        List<string> expected;
        await using (var server = await StartAsync("--rdbcompression", compression))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await RdbData.WriteAsync(c, fieldTtls: true);
            await c.SendAsync("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('answer', function() return 42 end)");
            expected = await RdbData.SnapshotAsync(c, fieldTtls: true);
            Assert.Equal("+OK", (await c.SendAsync("SAVE")).ToString());
        }

        Assert.True(File.Exists(DumpPath));
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            RdbData.AssertSame(expected, await RdbData.SnapshotAsync(c, fieldTtls: true));
            Assert.Equal(":42", (await c.SendAsync("FCALL", "answer", "0")).ToString());
            string info = (await c.SendAsync("INFO", "persistence")).Text!;
            Assert.Contains("rdb_last_load_keys_loaded:", info);
            Assert.Contains("rdb_changes_since_last_save:0", info);
        }
    }

    [Fact]
    public async Task KeysExpiredByLoadTimeAreSkipped()
    {
        var clock = new ManualClock();
        await using (var server = await KvServerFixture.StartAsync(["--dir", _dir.FullName], clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("SET", "short", "v", "PX", "1000");
            await c.SendAsync("SET", "long", "v", "EX", "1000");
            await c.SendAsync("SAVE");
        }

        clock.Advance(TimeSpan.FromSeconds(5));
        await using (var server = await KvServerFixture.StartAsync(["--dir", _dir.FullName], clock))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("*[$long]", (await c.SendAsync("KEYS", "*")).ToString());
            Assert.Contains("rdb_last_load_keys_expired:1", (await c.SendAsync("INFO", "persistence")).Text);
        }
    }

    [Fact]
    public async Task TruncatedAndCorruptFilesStopTheStartWithAClearMessage()
    {
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await RdbData.WriteAsync(c);
            await c.SendAsync("SAVE");
        }

        var bytes = await File.ReadAllBytesAsync(DumpPath);

        await File.WriteAllBytesAsync(DumpPath, bytes[..(bytes.Length / 2)]);
        var truncated = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.True(truncated.Message.Contains("truncated", StringComparison.Ordinal), truncated.Message);
        Assert.Contains("dump.rdb", truncated.Message);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length - 20] ^= 0x55;
        await File.WriteAllBytesAsync(DumpPath, flipped);
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.Contains("dump.rdb", corrupt.Message);

        await File.WriteAllBytesAsync(DumpPath, "NOTREDIS01"u8.ToArray());
        var signature = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.Contains("wrong signature", signature.Message);

        // With rdbchecksum no the checksum is not verified (but the damage above still shows in the data or not at all).
        var badChecksum = (byte[])bytes.Clone();
        badChecksum[^1] ^= 0x01;
        await File.WriteAllBytesAsync(DumpPath, badChecksum);
        var checksum = await Assert.ThrowsAsync<InvalidDataException>(() => StartAsync());
        Assert.Contains("wrong RDB checksum", checksum.Message);
        await using (var server = await StartAsync("--rdbchecksum", "no"))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal("$hello", (await c.SendAsync("GET", "str:small")).ToString());
        }
    }

    [Fact]
    public async Task BackgroundSaveWritesThePointInTimeViewWhileClientsWrite()
    {
        const int Keys = 200_000;
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", $"for i = 1, {Keys} do redis.call('set', 'k' .. i, 'old' .. i) end return 1", "0");
            await c.SendAsync("RPUSH", "list", "a", "b");
            await c.SendAsync("HSET", "hash", "f", "old");

            // Start the save and, on the same connection's next commands, change what it is writing.
            var replies = await PipelineAsync(c,
                ["BGSAVE"],
                ["EVAL", $"for i = 1, {Keys}, 7 do redis.call('set', 'k' .. i, 'new') end for i = 2, {Keys}, 11 do redis.call('del', 'k' .. i) end for i = 1, 1000 do redis.call('set', 'added' .. i, 'x') end return 1", "0"],
                ["RPUSH", "list", "c"],
                ["HSET", "hash", "f", "new"],
                ["SET", "k3", "newer", "EX", "100"],
                ["RENAME", "k5", "renamed"],
                ["FLUSHDB"]);
            Assert.Equal("+Background saving started", replies[0].ToString());
            Assert.Equal("*[]", (await c.SendAsync("KEYS", "*")).ToString());
            await WaitForBackgroundSaveAsync(c);
            Assert.Contains("rdb_last_bgsave_status:ok", (await c.SendAsync("INFO", "persistence")).Text);
        }

        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal($":{Keys + 2}", (await c.SendAsync("DBSIZE")).ToString());
            var check = await c.SendAsync("EVAL", $"for i = 1, {Keys} do if redis.call('get', 'k' .. i) ~= 'old' .. i then return i end end return 0", "0");
            Assert.Equal(":0", check.ToString());
            Assert.Equal("*[$a, $b]", (await c.SendAsync("LRANGE", "list", "0", "-1")).ToString());
            Assert.Equal("$old", (await c.SendAsync("HGET", "hash", "f")).ToString());
            Assert.Equal(":-1", (await c.SendAsync("TTL", "k3")).ToString());
            Assert.Equal(":0", (await c.SendAsync("EXISTS", "renamed", "added1")).ToString());
        }
    }

    /// <summary>
    /// Keys live in native memory: a table FLUSHDB drops while a save is still walking it must stay
    /// readable until the save lets go of it, while new keys (which may take freed memory) are written.
    /// rdb-key-save-delay keeps the walk going for the whole sequence.
    /// </summary>
    [Fact]
    public async Task TableDroppedDuringASaveIsWrittenIntact()
    {
        const int Keys = 2000;
        await using (var server = await StartAsync("--rdb-key-save-delay", "200"))
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", $"for i = 1, {Keys} do redis.call('set', 'k' .. i, string.rep('v', i % 300) .. i) end return 1", "0");
            Assert.Equal("+Background saving started", (await c.SendAsync("BGSAVE")).ToString());
            Assert.Equal("+OK", (await c.SendAsync("FLUSHDB")).ToString());
            await c.SendAsync("EVAL", $"for i = 1, {Keys} do redis.call('set', 'new' .. i, string.rep('x', i % 300)) end return 1", "0");
            await c.SendAsync("EVAL", $"for i = 1, {Keys}, 2 do redis.call('del', 'new' .. i) end return 1", "0");
            Assert.Contains("rdb_bgsave_in_progress:1", (await c.SendAsync("INFO", "persistence")).Text);
            await WaitForBackgroundSaveAsync(c);
            Assert.Contains("rdb_last_bgsave_status:ok", (await c.SendAsync("INFO", "persistence")).Text);
        }

        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            Assert.Equal($":{Keys}", (await c.SendAsync("DBSIZE")).ToString());
            var check = await c.SendAsync("EVAL", $"for i = 1, {Keys} do if redis.call('get', 'k' .. i) ~= string.rep('v', i % 300) .. i then return i end end return 0", "0");
            Assert.Equal(":0", check.ToString());
        }
    }

    [Fact]
    public async Task CommandsGetLoadingWhileTheDumpLoads()
    {
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", "for i = 1, 2000 do redis.call('set', 'key' .. i, i) end return 1", "0");
            await c.SendAsync("SAVE");
        }

        // 2,000 keys × 1 ms (Redis's key-load-delay) keep the server loading for about two seconds.
        await using var loading = new KvServer(new KvServerOptions { Port = 0, Arguments = ["--dir", _dir.FullName, "--key-load-delay", "1000"] });
        var start = loading.StartAsync();
        while (loading.Port == 0 && !start.IsCompleted)
        {
            await Task.Delay(1);
        }

        await using var client = await RespTestClient.ConnectAsync(loading.Port);
        var first = await client.SendAsync("GET", "key1");
        string info = (await client.SendAsync("INFO", "persistence")).Text!;
        await start;
        Assert.Equal("-LOADING Redis is loading the dataset in memory", first.ToString());
        Assert.Contains("loading:1", info);
        Assert.Equal("$1", (await client.SendAsync("GET", "key1")).ToString());
        Assert.Equal(":2000", (await client.SendAsync("DBSIZE")).ToString());
    }

    [Fact]
    public async Task InfoReportsLoadingProgressAsRedis()
    {
        await using (var server = await StartAsync())
        {
            await using var c = await RespTestClient.ConnectAsync(server.Port);
            await c.SendAsync("EVAL", "for i = 1, 2000 do redis.call('set', 'key' .. i, i) end return 1", "0");
            await c.SendAsync("SAVE");
        }

        var (during, after) = await LoadingInfoAsync(["--dir", _dir.FullName, "--key-load-delay", "1000"]);
        AssertLoadingFields(during, new FileInfo(DumpPath).Length);
        Assert.True(long.Parse(during["loading_rdb_used_mem"], CultureInfo.InvariantCulture) > 0, "the dump's used-mem AUX field");
        Assert.Equal("0", after["loading"]);
        Assert.DoesNotContain("loading_start_time", after.Keys);
        Assert.Equal("2000", after["rdb_last_load_keys_loaded"]);
    }

    /// <summary>Starts a server that loads for a while (key-load-delay) and reads INFO persistence during and after the load.</summary>
    internal static async Task<(Dictionary<string, string> During, Dictionary<string, string> After)> LoadingInfoAsync(string[] arguments)
    {
        await using var loading = new KvServer(new KvServerOptions { Port = 0, Arguments = arguments });
        var start = loading.StartAsync();
        while (loading.Port == 0 && !start.IsCompleted)
        {
            await Task.Delay(1);
        }

        // Until the loader has made progress (connected before it even opened the file, INFO says 0 bytes of 0).
        await using var client = await RespTestClient.ConnectAsync(loading.Port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Dictionary<string, string> during;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "no loading progress within 30 s");
            during = AppendOnlyFileTests.Info(await client.SendAsync("INFO", "persistence"));
        }
        while (during["loading"] == "1" && during["loading_loaded_bytes"] == "0");

        await start;
        var after = AppendOnlyFileTests.Info(await client.SendAsync("INFO", "persistence"));
        return (during, after);
    }

    // Redis 7.0's genRedisInfoString adds these, in this order, while server.loading.
    internal static void AssertLoadingFields(Dictionary<string, string> info, long totalBytes)
    {
        Assert.Equal("1", info["loading"]);
        Assert.Equal("0", info["async_loading"]);
        Assert.Equal(
            ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem", "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"],
            info.Keys.SkipWhile(k => k != "loading_start_time").ToArray());
        long startTime = long.Parse(info["loading_start_time"], CultureInfo.InvariantCulture);
        Assert.InRange(startTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(totalBytes.ToString(CultureInfo.InvariantCulture), info["loading_total_bytes"]);
        long loaded = long.Parse(info["loading_loaded_bytes"], CultureInfo.InvariantCulture);
        Assert.InRange(loaded, 0, totalBytes - 1);
        Assert.Equal(((double)loaded / totalBytes * 100).ToString("F2", CultureInfo.InvariantCulture), info["loading_loaded_perc"]);
        Assert.True(long.Parse(info["loading_eta_seconds"], CultureInfo.InvariantCulture) >= 0);
    }

    [Fact]
    public async Task BgsaveRepliesAsRedis()
    {
        await using var server = await StartAsync();
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long before = (await c.SendAsync("LASTSAVE")).Integer;
        Assert.Equal("-ERR syntax error", (await c.SendAsync("BGSAVE", "NOW")).ToString());
        await c.SendAsync("SET", "a", "1");
        Assert.Equal("+Background saving started", (await c.SendAsync("BGSAVE", "SCHEDULE")).ToString());
        await WaitForBackgroundSaveAsync(c);
        Assert.True((await c.SendAsync("LASTSAVE")).Integer >= before);
        Assert.Contains("rdb_changes_since_last_save:0", (await c.SendAsync("INFO", "persistence")).Text);

        await c.SendAsync("MULTI");
        await c.SendAsync("BGSAVE");
        Assert.Equal("*[+Background saving scheduled]", (await c.SendAsync("EXEC")).ToString());
        await WaitForBackgroundSaveAsync(c, scheduledToo: true);
        Assert.True(File.Exists(DumpPath));
    }

    [Fact]
    public async Task SavePointTriggersABackgroundSave()
    {
        await using var server = await StartAsync("--save", "1 2");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("*[$save, $1 2]", (await c.SendAsync("CONFIG", "GET", "save")).ToString());
        await c.SendAsync("SET", "a", "1");
        await c.SendAsync("SET", "b", "2");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(DumpPath) || (await c.SendAsync("INFO", "persistence")).Text!.Contains("rdb_bgsave_in_progress:1"))
        {
            Assert.True(DateTime.UtcNow < deadline, "no BGSAVE after the save point was reached");
            await Task.Delay(50);
        }

        Assert.Contains("rdb_saves:1", (await c.SendAsync("INFO", "persistence")).Text);
    }

    [Fact]
    public async Task FailedSaveRefusesWritesWithMisconfUntilAGoodSave()
    {
        // The folder disappears under the running server (CONFIG SET dir is a protected config).
        string folder = Directory.CreateDirectory(Path.Combine(_dir.FullName, "target")).FullName;
        await using var server = await KvServerFixture.StartAsync(["--dir", folder, "--save", "3600 1"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.SendAsync("SET", "a", "1");
        Directory.Delete(folder);
        Assert.Equal("-ERR", (await c.SendAsync("SAVE")).ToString());
        Assert.StartsWith("-MISCONF Redis is configured to save RDB snapshots", (await c.SendAsync("SET", "b", "2")).ToString());
        Assert.StartsWith("-MISCONF", (await c.SendAsync("PING")).ToString());
        Assert.Equal("$1", (await c.SendAsync("GET", "a")).ToString());
        Assert.Contains("rdb_last_bgsave_status:err", (await c.SendAsync("INFO", "persistence")).Text);

        Directory.CreateDirectory(folder);
        Assert.Equal("+OK", (await c.SendAsync("SAVE")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("SET", "b", "2")).ToString());
        Assert.True(File.Exists(Path.Combine(folder, "dump.rdb")));
    }

    [Fact]
    public async Task ShutdownSavesWhenSavePointsExist()
    {
        var server = await StartAsync("--save", "3600 1");
        await using (var c = await RespTestClient.ConnectAsync(server.Port))
        {
            await c.SendAsync("SET", "kept", "yes");
            await c.WriteCommandAsync("SHUTDOWN");
            await server.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        }

        await server.DisposeAsync();
        await using var again = await StartAsync();
        await using var c2 = await RespTestClient.ConnectAsync(again.Port);
        Assert.Equal("$yes", (await c2.SendAsync("GET", "kept")).ToString());
    }

    [Fact]
    public async Task DumpAndRestoreEveryType()
    {
        await using var server = await StartAsync();
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await RdbData.WriteAsync(c, fieldTtls: true);
        var before = await RdbData.SnapshotAsync(c, fieldTtls: true);
        var keys = (await c.SendAsync("KEYS", "*")).Items!.Select(k => k.Text!).ToList();
        foreach (var key in keys)
        {
            var payload = (await c.SendAsync("DUMP", key)).Bytes!;
            long expiry = (await c.SendAsync("PEXPIRETIME", key)).Integer;
            Assert.Equal("+OK", (await c.SendAsync(
                expiry > 0 ? ["RESTORE", key, expiry.ToString(CultureInfo.InvariantCulture), payload, "REPLACE", "ABSTTL"] : new object[] { "RESTORE", key, "0", payload, "REPLACE" })).ToString());
        }

        RdbData.AssertSame(before, await RdbData.SnapshotAsync(c, fieldTtls: true));

        var dump = (await c.SendAsync("DUMP", "str:small")).Bytes!;
        Assert.Equal("(nil)", (await c.SendAsync("DUMP", "missing")).ToString());
        Assert.Equal("-BUSYKEY Target key name already exists.", (await c.SendAsync("RESTORE", "str:small", "0", dump)).ToString());
        var damaged = (byte[])dump.Clone();
        damaged[0] ^= 1;
        Assert.Equal("-ERR DUMP payload version or checksum are wrong", (await c.SendAsync("RESTORE", "x", "0", damaged)).ToString());
        Assert.Equal("-ERR Invalid TTL value, must be >= 0", (await c.SendAsync("RESTORE", "x", "-1", dump)).ToString());
        Assert.Equal("-ERR Invalid FREQ value, must be >= 0 and <= 255", (await c.SendAsync("RESTORE", "x", "0", dump, "FREQ", "256")).ToString());
        Assert.Equal("-ERR syntax error", (await c.SendAsync("RESTORE", "x", "0", dump, "IDLETIME", "1", "FREQ", "1")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("RESTORE", "x", "0", dump, "IDLETIME", "1000")).ToString());
        Assert.True((await c.SendAsync("OBJECT", "IDLETIME", "x")).Integer >= 1000);
        Assert.Equal("+OK", (await c.SendAsync("RESTORE", "y", "1", dump, "ABSTTL")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "y")).ToString());
    }

    // All commands in one write, so they run right after each other on the server.
    private static async Task<List<RespReply>> PipelineAsync(RespTestClient c, params object[][] commands)
    {
        var bytes = new List<byte>();
        foreach (var command in commands)
        {
            bytes.AddRange(RespTestClient.Encode(command));
        }

        await c.WriteRawAsync(bytes.ToArray());
        var replies = new List<RespReply>();
        foreach (var _ in commands)
        {
            replies.Add(await c.ReadReplyAsync(TimeSpan.FromSeconds(60)));
        }

        return replies;
    }

    private static async Task WaitForBackgroundSaveAsync(RespTestClient c, bool scheduledToo = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            string info = (await c.SendAsync("INFO", "persistence")).Text!;
            if (info.Contains("rdb_bgsave_in_progress:0") && (!scheduledToo || info.Contains("rdb_saves:2")))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "BGSAVE did not finish in time");
            await Task.Delay(20);
        }
    }
}
