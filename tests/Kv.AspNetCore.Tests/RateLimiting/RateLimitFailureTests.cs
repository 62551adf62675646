using System.Net;
using Kv.AspNetCore.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.AspNetCore.Tests.Session;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>OnServerUnavailable against a port where nothing listens: permitted (fail open) or refused (fail closed), logged and counted.</summary>
public sealed class RateLimitFailureTests
{
    [Theory]
    [InlineData(KvRateLimitFailureMode.Permit, HttpStatusCode.OK)]
    [InlineData(KvRateLimitFailureMode.Refuse, HttpStatusCode.TooManyRequests)]
    public async Task AnUnreachableServerPermitsOrRefusesAsConfigured(KvRateLimitFailureMode mode, HttpStatusCode expected)
    {
        var log = new LogCollector();
        await using var app = await RateLimitApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
                ["Kv:ConnectTimeout"] = "00:00:00.3",
                ["Kv:CommandTimeout"] = "00:00:00.3",
                ["Kv:RateLimiting:Policies:api:OnServerUnavailable"] = mode.ToString(),
            },
            p =>
            {
                p.PermitLimit = 1;
                p.Window = TimeSpan.FromSeconds(1);
            },
            services: s => s.AddLogging(b => b.AddProvider(log)));
        using var metrics = new AppMetrics(app);

        for (int i = 0; i < 3; i++)
        {
            var response = await app.GetAsync("someone");
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("\"api\";q=1;w=1", response.Header("RateLimit-Policy"));
            Assert.Null(response.Header("RateLimit"));
            Assert.Null(response.Header("Retry-After"));
        }

        bool permitted = mode == KvRateLimitFailureMode.Permit;
        Assert.Equal(3, metrics.Sum("kv.ratelimit.failures", ("kv.ratelimit.policy", "api"), ("kv.failure.ignored", permitted)));
        Assert.Equal(0, metrics.Count("kv.ratelimit.decisions"));

        // One warning, not one per request.
        var warning = Assert.Single(log.Entries, e => e.Category == "Kv.AspNetCore.RateLimiting");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(permitted ? "requests are permitted" : "requests are refused", warning.Message);
    }

    [Fact]
    public async Task DecisionsAreCountedByResult()
    {
        await using var app = await RateLimitApp.StartAsync(new Dictionary<string, string?>(), p =>
        {
            p.PermitLimit = 1;
            p.Window = TimeSpan.FromMinutes(1);
        });
        using var metrics = new AppMetrics(app);

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("a")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.GetAsync("a")).StatusCode);

        Assert.Equal(1, metrics.Sum("kv.ratelimit.decisions", ("kv.ratelimit.policy", "api"), ("kv.ratelimit.result", "permitted")));
        Assert.Equal(1, metrics.Sum("kv.ratelimit.decisions", ("kv.ratelimit.policy", "api"), ("kv.ratelimit.result", "refused")));
    }
}
