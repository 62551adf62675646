using Kv.Server.Commands;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>SCAN: its options, its errors, and Redis's guarantee that a key present for a whole iteration is returned.</summary>
public sealed class KeyScanTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public KeyScanTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task EveryKeyPresentForTheWholeScanIsReturnedDespiteChurn()
    {
        await using var c = await _fixture.ConnectAsync();
        await using var writer = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "1");
        await writer.SendAsync("SELECT", "1");
        await c.SendAsync("FLUSHDB");

        // Stable keys irregularly interleaved with keys that will be deleted during the scan; 2000
        // keys fill the table's 2048 entries, so the additions below make it grow mid-scan.
        for (int i = 0; i < 1500; i++)
        {
            await writer.SendAsync("SET", $"stable:{i}", "x");
            if (i % 3 == 0)
            {
                await writer.SendAsync("SET", $"doomed:{i}", "x");
            }
        }

        var seen = new Dictionary<string, int>();
        string cursor = "0";
        int round = 0;
        do
        {
            var reply = await c.SendAsync("SCAN", cursor, "COUNT", 20 + (round % 17));
            cursor = reply.Items![0].Text!;
            foreach (var key in reply.Items[1].Items!)
            {
                seen[key.Text!] = seen.GetValueOrDefault(key.Text!) + 1;
            }

            // Between calls: delete some keys, reuse their slots with new keys and grow the table
            // (more slowly than the scan advances, or it would never end).
            for (int n = round * 20; n < (round + 1) * 20 && n < 1500; n++)
            {
                await writer.SendAsync("DEL", $"doomed:{n}");
                await writer.SendAsync("SET", $"added:{n}", "x");
                if (n % 2 == 0)
                {
                    await writer.SendAsync("SET", $"grown:{n}", "x");
                }
            }

            round++;
            Assert.True(round < 10_000, "the scan never finished");
        }
        while (cursor != "0");

        for (int i = 0; i < 1500; i++)
        {
            Assert.True(seen.TryGetValue($"stable:{i}", out int times), $"stable:{i} was not returned");
            Assert.Equal(1, times);
        }

        await c.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task ScanFiltersByMatchAndType()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "2");
        await c.SendAsync("FLUSHDB");
        for (int i = 0; i < 50; i++)
        {
            await c.SendAsync("SET", $"user:{i}", "x");
            await c.SendAsync("SET", $"order:{i}", "x");
        }

        Assert.Equal(Range("user:", 50), await ScanAllAsync(c, "MATCH", "user:*"));
        Assert.Equal(Range("user:", 50), await ScanAllAsync(c, "match", "u*", "COUNT", "3"));
        Assert.Equal(Range("user:1", 10), await ScanAllAsync(c, "MATCH", "user:1?", "count", "1000"));
        Assert.Equal(100, (await ScanAllAsync(c, "TYPE", "string")).Length);
        Assert.Equal(100, (await ScanAllAsync(c, "type", "STRING", "MATCH", "*")).Length);
        Assert.Empty(await ScanAllAsync(c, "TYPE", "list"));
        Assert.Empty(await ScanAllAsync(c, "TYPE", "nosuchtype"));
        await c.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task CountBoundsTheWorkOfOneCall()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "3");
        await c.SendAsync("FLUSHDB");
        for (int i = 0; i < 100; i++)
        {
            await c.SendAsync("SET", $"k{i}", "x");
        }

        var first = await c.SendAsync("SCAN", "0");
        Assert.Equal(10, first.Items![1].Items!.Count);
        Assert.NotEqual("0", first.Items[0].Text);
        var big = await c.SendAsync("SCAN", "0", "COUNT", "1000");
        Assert.Equal("0", big.Items![0].Text);
        Assert.Equal(100, big.Items[1].Items!.Count);

        // COUNT counts keys looked at, before MATCH filters them.
        var filtered = await c.SendAsync("SCAN", "0", "MATCH", "nothing*", "COUNT", "5");
        Assert.NotEqual("0", filtered.Items![0].Text);
        Assert.Empty(filtered.Items[1].Items!);
        await c.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task ScanOfAnEmptyOrSparseDatabaseFinishes()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "4");
        await c.SendAsync("FLUSHDB");
        Assert.Equal("*[$0, *[]]", (await c.SendAsync("SCAN", "0")).ToString());
        for (int i = 0; i < 500; i++)
        {
            await c.SendAsync("SET", $"s{i}", "x");
        }

        for (int i = 0; i < 499; i++)
        {
            await c.SendAsync("DEL", $"s{i}");
        }

        Assert.Equal(["s499"], await ScanAllAsync(c));
        Assert.Equal("*[$0, *[]]", (await c.SendAsync("SCAN", "4294967296")).ToString());
        await c.SendAsync("FLUSHDB");
    }

    [Theory]
    [InlineData("abc", "-ERR invalid cursor")]
    [InlineData(" 0", "-ERR invalid cursor")]
    [InlineData("0 ", "-ERR invalid cursor")]
    [InlineData("+", "-ERR invalid cursor")]
    [InlineData("-", "-ERR invalid cursor")]
    [InlineData("1.5", "-ERR invalid cursor")]
    [InlineData("18446744073709551616", "-ERR invalid cursor")]
    [InlineData("abc|foo", "-ERR invalid cursor")]
    [InlineData("0|COUNT|0", "-ERR syntax error")]
    [InlineData("0|COUNT|-1", "-ERR syntax error")]
    [InlineData("0|COUNT|abc", "-ERR value is not an integer or out of range")]
    [InlineData("0|COUNT", "-ERR syntax error")]
    [InlineData("0|MATCH", "-ERR syntax error")]
    [InlineData("0|TYPE", "-ERR syntax error")]
    [InlineData("0|foo", "-ERR syntax error")]
    [InlineData("0|MATCH|*|foo|bar", "-ERR syntax error")]
    public async Task ScanErrorsAsRedis(string args, string expected)
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal(expected, (await c.SendAsync(["SCAN", .. args.Split('|')])).ToString());
    }

    [Theory]
    [InlineData("", true, 0UL)]
    [InlineData("0", true, 0UL)]
    [InlineData("+7", true, 7UL)]
    [InlineData("-1", true, ulong.MaxValue)]
    [InlineData("18446744073709551615", true, ulong.MaxValue)]
    [InlineData("007", true, 7UL)]
    [InlineData("18446744073709551616", false, 0UL)]
    [InlineData(" 1", false, 0UL)]
    [InlineData("1x", false, 0UL)]
    public void CursorsParseAsStrtoul(string text, bool valid, ulong expected)
    {
        Assert.Equal(valid, KeyCommands.TryParseCursor(System.Text.Encoding.ASCII.GetBytes(text), out ulong cursor));
        Assert.Equal(expected, cursor);
    }

    private static async Task<string[]> ScanAllAsync(RespTestClient c, params string[] options)
    {
        var keys = new List<string>();
        string cursor = "0";
        do
        {
            var reply = await c.SendAsync(["SCAN", cursor, .. options]);
            Assert.Null(reply.Text);
            cursor = reply.Items![0].Text!;
            keys.AddRange(reply.Items[1].Items!.Select(k => k.Text!));
        }
        while (cursor != "0");

        keys.Sort(StringComparer.Ordinal);
        return keys.ToArray();
    }

    // A COUNT near LONG_MAX must not overflow Redis's COUNT*10 budget of empty buckets: HSCAN and ZSCAN
    // of a hashtable/skiplist answered the same cursor with nothing, forever.
    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("922337203685477581")]
    [InlineData("4611686018427387904")]
    [InlineData("2147483648")]
    public async Task CollectionScansWithHugeCountsReturnEverythingAndEnd(string count)
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "2");
        await c.SendAsync("DEL", "hs:h", "hs:z", "hs:s");
        // 600 elements: past every default listpack/intset limit (hash-max-listpack-entries is 512).
        var hset = new List<object> { "HSET", "hs:h" };
        var zadd = new List<object> { "ZADD", "hs:z" };
        var sadd = new List<object> { "SADD", "hs:s" };
        for (int i = 0; i < 600; i++)
        {
            hset.AddRange(["m" + i, "v"]);
            zadd.AddRange([i, "m" + i]);
            sadd.Add("m" + i);
        }

        await c.Expect(":600", [.. hset]);
        await c.Expect(":600", [.. zadd]);
        await c.Expect(":600", [.. sadd]);
        await c.Expect("$hashtable", "OBJECT", "ENCODING", "hs:h");

        foreach (var (command, key, step) in new[] { ("HSCAN", "hs:h", 2), ("ZSCAN", "hs:z", 2), ("SSCAN", "hs:s", 1) })
        {
            var seen = new HashSet<string>();
            string cursor = "0";
            int rounds = 0;
            do
            {
                Assert.True(++rounds <= 600, $"{command} COUNT {count} did not finish in 600 calls (cursor {cursor})");
                var reply = await c.SendAsync(command, key, cursor, "COUNT", count);
                cursor = reply.Items![0].Text!;
                var items = reply.Items[1].Items!;
                for (int i = 0; i < items.Count; i += step)
                {
                    seen.Add(items[i].Text!);
                }
            }
            while (cursor != "0");

            Assert.Equal(Range("m", 600), seen.Order(StringComparer.Ordinal).ToArray());
        }
    }

    private static string[] Range(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => prefix + i).Order(StringComparer.Ordinal).ToArray();
}
