using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>IDistributedCache through AddKvCache in a real app, on the embedded server and on redis-server.</summary>
public sealed class DistributedCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
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
}
