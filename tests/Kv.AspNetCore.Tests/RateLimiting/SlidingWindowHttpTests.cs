using System.Net;
using Kv.AspNetCore.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// AddKvSlidingWindowLimiter behind UseKvRateLimiter in a real app on Kestrel, on the embedded server
/// and on redis-server: the RateLimit headers on every response, 429 with an accurate Retry-After,
/// the app's own OnRejected still running, partitions, and options checked at startup.
/// </summary>
public sealed class SlidingWindowHttpTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EveryResponseCarriesTheHeadersAndA429CarriesAnAccurateRetryAfter(string server)
    {
        await using var app = await RateLimitApp.StartAsync(
            fixture.Settings(server),
            p =>
            {
                p.PermitLimit = 3;
                p.Window = TimeSpan.FromSeconds(1);
                p.AdditionalLimits.Add(new KvRateLimit { PermitLimit = 100, Window = TimeSpan.FromMinutes(1) });
            },
            o => o.OnRejected = async (context, token) => await context.HttpContext.Response.WriteAsync("slow down", token));
        string user = RateLimitApp.NewUser();

        for (int i = 1; i <= 3; i++)
        {
            var ok = await app.GetAsync(user);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("\"api\";q=3;w=1, \"api-1\";q=100;w=60", ok.Header("RateLimit-Policy"));

            // The first permit leaves the window within a second; the minute limit's within a minute.
            Assert.Equal($"\"api\";r={3 - i};t=1, \"api-1\";r={100 - i};t=60", ok.Header("RateLimit"));
            Assert.Null(ok.Header("Retry-After"));
        }

        var refused = await app.GetAsync(user);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("slow down", await refused.Content.ReadAsStringAsync());
        Assert.Equal("1", refused.Header("Retry-After"));
        Assert.Equal("\"api\";q=3;w=1, \"api-1\";q=100;w=60", refused.Header("RateLimit-Policy"));

        // Refused: nothing taken from the minute limit either.
        Assert.Equal("\"api\";r=0;t=1, \"api-1\";r=97;t=60", refused.Header("RateLimit"));

        // After Retry-After seconds the permit is free again.
        await Task.Delay(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(2));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(user)).StatusCode);

        // Endpoints without the policy get no headers.
        var free = await app.GetAsync(user, "/free");
        Assert.Null(free.Header("RateLimit-Policy"));
        Assert.Null(free.Header("RateLimit"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task TheCounterReportsItsEstimateAndARetryAfterThatFrees(string server)
    {
        await using var app = await RateLimitApp.StartAsync(fixture.Settings(server), p =>
        {
            p.PermitLimit = 3;
            p.Window = TimeSpan.FromSeconds(1);
            p.Algorithm = KvSlidingWindowAlgorithm.Counter;
        });
        string user = RateLimitApp.NewUser();
        await app.Kv().StartOfNextWindowAsync(TimeSpan.FromSeconds(1));

        for (int i = 1; i <= 3; i++)
        {
            var ok = await app.GetAsync(user);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("\"api\";q=3;w=1", ok.Header("RateLimit-Policy"));

            // This window's permits weigh until they slide out during the next one: t is 1 or 2 s.
            Assert.Matches($"^\"api\";r={3 - i};t=[12]$", ok.Header("RateLimit"));
        }

        var refused = await app.GetAsync(user);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Matches("^\"api\";r=0;t=[12]$", refused.Header("RateLimit"));
        int retryAfter = int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 2);
        await Task.Delay(TimeSpan.FromSeconds(retryAfter) + TimeSpan.FromMilliseconds(2));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(user)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task PartitionsHaveTheirOwnBudgets(string server)
    {
        await using var app = await RateLimitApp.StartAsync(fixture.Settings(server), p =>
        {
            p.PermitLimit = 2;
            p.Window = TimeSpan.FromSeconds(30);
        });
        string alice = RateLimitApp.NewUser(), bob = RateLimitApp.NewUser();

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(alice)).StatusCode);
        var refused = await app.GetAsync(alice);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture), 29, 30);

        var other = await app.GetAsync(bob);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal("\"api\";r=1;t=30", other.Header("RateLimit"));
        Assert.Equal(1, (await app.Kv().ExecuteAsync("ZCARD", $"ratelimit:api:{bob}:0")).AsInt64());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task SubSecondWindowsLeaveTheWindowOutOfThePolicyHeader(string server)
    {
        await using var app = await RateLimitApp.StartAsync(fixture.Settings(server), p =>
        {
            p.PermitLimit = 1;
            p.Window = TimeSpan.FromMilliseconds(250);
        });

        // The second request must come within the window: on a machine too busy for that, try again.
        for (int attempt = 1; ; attempt++)
        {
            string user = RateLimitApp.NewUser();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var ok = await app.GetAsync(user);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("\"api\";q=1", ok.Header("RateLimit-Policy"));
            Assert.Equal("\"api\";r=0;t=1", ok.Header("RateLimit"));
            var second = await app.GetAsync(user);
            if (clock.Elapsed < TimeSpan.FromMilliseconds(200))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
                Assert.Equal("1", second.Header("Retry-After"));
                return;
            }

            Assert.True(attempt < 5, $"two requests took {clock.Elapsed.TotalMilliseconds:N0} ms five times: too slow to test a 250 ms window");
        }
    }

    [Fact]
    public async Task InvalidOptionsFailAtStartupNamingTheKeys()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => RateLimitApp.StartAsync(
            new Dictionary<string, string?> { ["Kv:RateLimiting:Policies:api:Window"] = "00:00:00" },
            p => p.AdditionalLimits.Add(new KvRateLimit { PermitLimit = 5, Window = TimeSpan.FromSeconds(1), Name = "api" })));

        Assert.Contains("Kv:RateLimiting:Policies:api:PermitLimit is 0: it must be positive.", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("Kv:RateLimiting:Policies:api:Window is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Kv:RateLimiting:Policies:api:AdditionalLimits:0:Name is 'api'", StringComparison.Ordinal));
    }
}
