using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// An app (a started generic host) whose <see cref="IDistributedCache"/> is one contender: registered
/// as an app registers it (<c>AddKvCache</c>, <c>AddStackExchangeRedisCache</c>), so the benchmark calls
/// exactly what a controller would.
/// </summary>
internal sealed class CacheApp : IAsyncDisposable
{
    private static int _apps;
    private readonly IHost _host;
    private readonly string? _dataDirectory;

    private CacheApp(string name, IHost host, string? dataDirectory)
    {
        Name = name;
        _host = host;
        _dataDirectory = dataDirectory;
        Cache = host.Services.GetRequiredService<IDistributedCache>();
    }

    public string Name { get; }

    public IDistributedCache Cache { get; }

    /// <summary>Kv's cache on a server at <paramref name="port"/>.</summary>
    public static Task<CacheApp> KvAsync(string name, int port, bool near = false)
    {
        string instance = InstanceName();
        return StartAsync(name, null, services => services.AddKvCache(o =>
        {
            o.Endpoint = $"127.0.0.1:{port}";
            o.Cache.InstanceName = instance;
            o.Cache.NearCache.Enabled = near;
        }));
    }

    /// <summary>Microsoft's Redis cache (Microsoft.Extensions.Caching.StackExchangeRedis) on a server at <paramref name="port"/>.</summary>
    public static Task<CacheApp> MicrosoftAsync(string name, int port)
    {
        string instance = InstanceName();
        return StartAsync(name, null, services => services.AddStackExchangeRedisCache(o =>
        {
            o.Configuration = $"127.0.0.1:{port}";
            o.InstanceName = instance;
        }));
    }

    /// <summary>
    /// Kv's cache on the app's own embedded server, reached through <paramref name="transport"/>. The
    /// append-only file is off, as for the external servers, so the rows compare transports only.
    /// </summary>
    public static Task<CacheApp> EmbeddedAsync(string name, KvEmbeddedTransport transport)
    {
        string data = Directory.CreateTempSubdirectory("kv-bench-").FullName;
        string instance = InstanceName();
        return StartAsync(name, data, services => services.AddKvCache(o =>
        {
            o.Embedded.Transport = transport;
            o.Embedded.DataDirectory = data;
            o.Embedded.AppendOnly = false;
            o.Cache.InstanceName = instance;
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private static async Task<CacheApp> StartAsync(string name, string? dataDirectory, Action<IServiceCollection> register)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        register(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new CacheApp(name, host, dataDirectory);
    }

    /// <summary>Each app keeps its own entries on a shared server (once per app: options callbacks may run more than once); prefixes of one length keep the keys the same size.</summary>
    private static string InstanceName() => $"app{Interlocked.Increment(ref _apps):D2}:";
}
