using System.Buffers;
using System.Diagnostics;
using System.Text;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// IDistributedCache through AddKvCache in a real app, on the embedded server and on redis-server.
/// Expiry is checked on the server's PTTL (a range that allows for the time the test takes), and
/// "time passing" is a shorter TTL set with PEXPIRE, so no test sleeps.
/// </summary>
public sealed class DistributedCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    // Allowance for the server's clock and rounding when an expected TTL is compared with PTTL.
    private const long SlackMs = 5;

    private readonly string _instance = $"{Guid.NewGuid():N}:";

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AValueSetThroughAnEndpointIsReadBack(string server)
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddKvCache(),
            a =>
            {
                a.MapPost("/items/{id}", async (string id, HttpRequest request, IDistributedCache cache) =>
                {
                    using var reader = new StreamReader(request.Body);
                    await cache.SetStringAsync(id, await reader.ReadToEndAsync(), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
                    return Results.NoContent();
                });
                a.MapGet("/items/{id}", async (string id, IDistributedCache cache) => await cache.GetStringAsync(id) is { } value ? Results.Text(value) : Results.NotFound());
            },
            fixture.Settings(server));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await app.Client.GetAsync("/items/a")).StatusCode);
        var put = await app.Client.PostAsync("/items/a", new StringContent("hello"));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal("hello", await app.Client.GetStringAsync("/items/a"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ARelativeExpiryIsTheKeysTtlToTheMillisecond(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();

        // 60.9 s: a TTL truncated to whole seconds (as Microsoft's cache sends EXPIRE) would be 60,000 ms at most.
        var watch = Stopwatch.StartNew();
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(60_900) });
        long pttl = await app.Kv().PTtlAsync(K("k"));
        AssertWithin(60_900 - watch.ElapsedMilliseconds - SlackMs, 60_900, pttl);

        var (absolute, sliding, data) = await app.Kv().EntryAsync(K("k"));
        Assert.Equal("-1", sliding);
        Assert.Equal("\u0001", data);
        long expectedTicks = DateTimeOffset.UtcNow.UtcTicks + TimeSpan.FromMilliseconds(60_900).Ticks;
        Assert.InRange(long.Parse(absolute!), expectedTicks - TimeSpan.FromSeconds(5).Ticks, expectedTicks);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AnAbsoluteExpiryIsStoredInUtcTicksAndIsTheKeysTtl(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();

        // An offset other than UTC: the stored ticks are UTC ticks, which Microsoft's cache reads back as UTC.
        var watch = Stopwatch.StartNew();
        var at = DateTimeOffset.UtcNow.AddMilliseconds(45_700).ToOffset(TimeSpan.FromHours(2));
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = at });
        long pttl = await app.Kv().PTtlAsync(K("k"));

        AssertWithin(45_700 - watch.ElapsedMilliseconds - SlackMs, 45_700, pttl);
        var (absolute, sliding, _) = await app.Kv().EntryAsync(K("k"));
        Assert.Equal(at.UtcTicks, long.Parse(absolute!));
        Assert.Equal("-1", sliding);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ASetWithoutExpiryClearsTheTtlOfTheValueItReplaces(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        await cache.SetStringAsync("k", "old", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        Assert.True(await app.Kv().PTtlAsync(K("k")) > 0);

        await cache.SetStringAsync("k", "new", new DistributedCacheEntryOptions());

        Assert.Equal(-1, await app.Kv().PTtlAsync(K("k")));
        Assert.Equal(("-1", "-1", "new"), await app.Kv().EntryAsync(K("k")));
        Assert.Equal("new", await cache.GetStringAsync("k"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AReadPushesASlidingExpirationOutAndAReadWithoutRefreshDoesNot(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var kv = app.Kv();
        await cache.SetAsync("k", [7], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(30_500) });
        Assert.InRange(await kv.PTtlAsync(K("k")), 25_000, 30_500);
        Assert.Equal(TimeSpan.FromMilliseconds(30_500).Ticks.ToString(), (await kv.EntryAsync(K("k"))).Sliding);

        // 25.5 s of the window have "passed".
        await kv.ExecuteAsync("PEXPIRE", K("k"), 5_000);
        Assert.Equal([7], await cache.GetAsync("k", refresh: false));
        Assert.InRange(await kv.PTtlAsync(K("k")), 1, 5_000);

        var watch = Stopwatch.StartNew();
        Assert.Equal([7], await cache.GetAsync("k"));
        AssertWithin(30_500 - watch.ElapsedMilliseconds - SlackMs, 30_500, await kv.PTtlAsync(K("k")));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ASlidingExpirationIsCappedByTheAbsoluteOne(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        var kv = app.Kv();
        var watch = Stopwatch.StartNew();
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(20_300) });
        AssertWithin(20_300 - watch.ElapsedMilliseconds - SlackMs, 20_300, await kv.PTtlAsync(K("k")));

        await kv.ExecuteAsync("PEXPIRE", K("k"), 2_000);
        Assert.Equal([1], await cache.GetAsync("k"));

        // Pushed out to the absolute expiry, not to the ten-minute window.
        AssertWithin(20_300 - watch.ElapsedMilliseconds - SlackMs, 20_300, await kv.PTtlAsync(K("k")));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RefreshPushesOnlyASlidingExpirationOut(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        var kv = app.Kv();
        await cache.SetAsync("sliding", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(40) });
        await cache.SetAsync("absolute", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(40) });
        await kv.ExecuteAsync("PEXPIRE", K("sliding"), 3_000);
        await kv.ExecuteAsync("PEXPIRE", K("absolute"), 3_000);

        var watch = Stopwatch.StartNew();
        await cache.RefreshAsync("sliding");
        cache.Refresh("absolute");
        await cache.RefreshAsync("missing");

        AssertWithin(40_000 - watch.ElapsedMilliseconds - SlackMs, 40_000, await kv.PTtlAsync(K("sliding")));
        Assert.InRange(await kv.PTtlAsync(K("absolute")), 1, 3_000);
        Assert.Equal(0, (await kv.ExecuteAsync("EXISTS", K("missing"))).AsInt64());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AnEntryIsGoneOnceItsSlidingWindowPassesWithoutARead(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMilliseconds(300) });

        // Polled without refreshing (EXISTS, not a cache read, which would keep it alive).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await app.Kv().ExecuteAsync("EXISTS", K("k"))).AsInt64() == 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "The entry outlived its 300 ms window by 10 s.");
            await Task.Delay(50);
        }

        Assert.Null(await cache.GetAsync("k"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RemoveDeletesTheEntry(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        cache.SetString("a", "1");
        await cache.SetStringAsync("b", "2");

        cache.Remove("a");
        await cache.RemoveAsync("b");
        await cache.RemoveAsync("never-set");

        Assert.Null(cache.Get("a"));
        Assert.Null(await cache.GetAsync("b"));
        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", K("a"), K("b"))).AsInt64());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task TheBufferInterfaceWritesAMultiSegmentSequenceAndReadsItIntoAWriter(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IBufferDistributedCache>();
        byte[] expected = Encoding.UTF8.GetBytes("first segment|second|third and last");
        var value = Segments(expected, 14, 7);
        Assert.False(value.IsSingleSegment);

        await cache.SetAsync("k", value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        cache.Set("sync", Segments(expected, 3, 3), new DistributedCacheEntryOptions());

        var destination = new ArrayBufferWriter<byte>();
        Assert.True(await cache.TryGetAsync("k", destination));
        Assert.Equal(expected, destination.WrittenSpan.ToArray());
        var syncDestination = new ArrayBufferWriter<byte>();
        Assert.True(cache.TryGet("sync", syncDestination));
        Assert.Equal(expected, syncDestination.WrittenSpan.ToArray());

        var untouched = new ArrayBufferWriter<byte>();
        Assert.False(await cache.TryGetAsync("missing", untouched));
        Assert.Equal(0, untouched.WrittenCount);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task BadArgumentsAreRefusedBeforeAnythingIsWritten(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<IDistributedCache>();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-5) }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.SetAsync(null!, [1], new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.SetAsync("k", null!, new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.SetAsync("k", [1], null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.RefreshAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.RemoveAsync(null!));
        Assert.Throws<ArgumentNullException>(() => cache.Get(null!));

        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", K("k"))).AsInt64());
    }

    /// <summary>An app whose cache keys start with this test's own instance name (the redis-server is shared by the class).</summary>
    private Task<TestApp> StartAsync(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = _instance;
        return TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
    }

    /// <summary>The server's key of a cache key.</summary>
    private string K(string key) => _instance + key;

    private static void AssertWithin(long low, long high, long actual)
        => Assert.True(actual >= low && actual <= high, $"PTTL {actual} ms is not within [{low}, {high}].");

    private static ReadOnlySequence<byte> Segments(byte[] bytes, params int[] cuts)
    {
        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        var last = first;
        int at = cuts[0];
        foreach (int length in cuts[1..])
        {
            last = last.Append(bytes.AsMemory(at, length));
            at += length;
        }

        last = last.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
