using System.Diagnostics.Metrics;
using System.Net;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Diagnostics;

/// <summary>AddKvHealthCheck and the Kv.AspNetCore meter in a real app.</summary>
public sealed class HealthAndMetricsTests(RedisFixture fixture) : IClassFixture<RedisFixture>
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

    [Fact]
    public async Task CacheReadsAreCountedAsHitsAndMisses()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache());
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        var lookups = new List<(long Value, string? Result)>();
        var durations = new List<string?>();

        // Meters are process-wide: only this app's (made by its IMeterFactory) count here.
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kv.AspNetCore" && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "kv.cache.lookups")
            {
                lock (lookups)
                {
                    lookups.Add((value, Tag(tags, "kv.cache.result")));
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "kv.cache.operation.duration")
            {
                Assert.True(value > 0);
                lock (durations)
                {
                    durations.Add(Tag(tags, "kv.cache.operation"));
                }
            }
        });
        listener.Start();

        string key = "metrics:" + Guid.NewGuid().ToString("N");
        Assert.Null(await cache.GetAsync(key));
        await cache.SetStringAsync(key, "v");
        Assert.Equal("v", await cache.GetStringAsync(key));

        lock (lookups)
        {
            Assert.Equal([(1L, "miss"), (1L, "hit")], lookups);
        }

        lock (durations)
        {
            Assert.Equal(["get", "set", "get"], durations);
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
