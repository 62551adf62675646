using System.Net;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Diagnostics;

/// <summary>AddKvHealthCheck in a real app (the meter's tests: Caching/CacheMetricsTests).</summary>
public sealed class HealthCheckTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task HealthIsHealthyWhenTheServerAnswers(string server)
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddKvCache().AddHealthChecks().AddKvHealthCheck(),
            a => a.MapHealthChecks("/health"),
            fixture.Settings(server));

        var response = await app.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HealthIsUnhealthyWhenTheServerCannotBeReached()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddKvCache().AddHealthChecks().AddKvHealthCheck(),
            a => a.MapHealthChecks("/health"),
            new Dictionary<string, string?>
            {
                ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
                ["Kv:ConnectTimeout"] = "00:00:00.300",
                ["Kv:CommandTimeout"] = "00:00:00.500",
            });

        var response = await app.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", await response.Content.ReadAsStringAsync());
    }
}
