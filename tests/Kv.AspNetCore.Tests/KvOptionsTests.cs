using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests;

/// <summary>KvOptions bound from configuration and checked when the host starts.</summary>
public sealed class KvOptionsTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("127.0.0.1:port")]
    [InlineData("redis://127.0.0.1:6379/zero")]
    public async Task AMalformedEndpointFailsTheStartNamingKvEndpoint(string endpoint)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(
            () => TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { ["Kv:Endpoint"] = endpoint }));

        Assert.Contains("Kv:Endpoint", failure.Message);
        Assert.Contains(endpoint, failure.Message);
    }

    [Theory]
    [InlineData("Kv:Embedded:MaxMemory", "lots")]
    [InlineData("Kv:Embedded:MaxMemoryPolicy", "keep-everything")]
    [InlineData("Kv:Embedded:Arguments:0", "--no-such-option")]
    public async Task ASettingTheEmbeddedServerRefusesFailsTheStartNamingIt(string key, string value)
    {
        var failure = await Record.ExceptionAsync(
            () => TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { [key] = value }));

        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(key.Replace(":0", ""), validation.Message);
        Assert.Contains(value, validation.Message);
    }

    [Theory]
    [InlineData("Kv:CommandTimeout", "00:00:00")]
    [InlineData("Kv:ConnectTimeout", "-00:00:01")]
    [InlineData("Kv:Embedded:Port", "70000")]
    [InlineData("Kv:Embedded:DataDirectory", " ")]
    public async Task OtherInvalidSettingsFailTheStartNamingTheirKey(string key, string value)
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(
            () => TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key, failure.Message);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task TheKvConnectionStringIsTheEndpointWhenKvEndpointIsNotSet(string server)
    {
        // The target: redis-server, or another app's embedded server through its loopback port.
        await using var host = server == "embedded" ? await TestApp.StartAsync(s => s.AddKv()) : null;
        int port = host?.ServerPort() ?? fixture.Redis!.Port;
        string connectionString = $"redis://127.0.0.1:{port}";
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { ["ConnectionStrings:Kv"] = connectionString });

        var options = app.Services.GetRequiredService<IOptions<KvOptions>>().Value;
        Assert.Equal(connectionString, options.Endpoint);
        Assert.False(options.IsEmbedded);
        string key = $"{Guid.NewGuid():N}";
        await app.Services.GetRequiredService<IDistributedCache>().SetStringAsync(key, "there");

        await using var direct = await KvClient.ConnectAsync(connectionString);
        Assert.Equal("there", (await direct.ExecuteAsync("HGET", key, "data")).AsString());
    }

    [Fact]
    public async Task KvEndpointWinsOverTheConnectionString()
    {
        int port = RedisProcess.FreePort();
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?>
        {
            ["Kv:Endpoint"] = $"redis://127.0.0.1:{port}",
            ["ConnectionStrings:Kv"] = "redis://127.0.0.1:1",
        });

        Assert.Equal($"redis://127.0.0.1:{port}", app.Services.GetRequiredService<IOptions<KvOptions>>().Value.Endpoint);
    }
}
