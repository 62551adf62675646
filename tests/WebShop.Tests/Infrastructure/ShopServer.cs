using System.Net;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WebShop.Tests.Infrastructure;

/// <summary>
/// The shop as <c>dotnet run</c> composes it (<see cref="WebShopApp.Build"/>), on Kestrel at 127.0.0.1 on a
/// free port, with a temporary content root (the embedded server's kv-data/ lives there) and the
/// sample's own wwwroot. Each <see cref="NewCustomer"/> is an HttpClient with its own cookie jar.
/// </summary>
public sealed class ShopServer : IAsyncDisposable
{
    private readonly bool _ownsContentRoot;
    private readonly List<HttpClient> _clients = [];

    private ShopServer(WebApplication app, string contentRoot, bool ownsContentRoot)
    {
        App = app;
        ContentRoot = contentRoot;
        _ownsContentRoot = ownsContentRoot;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public Uri BaseAddress { get; }

    public string ContentRoot { get; }

    /// <summary>
    /// Starts the shop. <paramref name="redis"/> points it at that redis-server (flushed first);
    /// otherwise it runs the embedded server. A <paramref name="contentRoot"/> passed in is kept, so a
    /// second start opens the first one's data.
    /// </summary>
    public static async Task<ShopServer> StartAsync(RedisProcess? redis = null, IDictionary<string, string?>? settings = null, string? contentRoot = null)
    {
        var all = new Dictionary<string, string?>();
        if (redis is not null)
        {
            string endpoint = $"redis://127.0.0.1:{redis.Port}";
            await using (var kv = await KvClient.ConnectAsync(endpoint))
            {
                await kv.ExecuteAsync("FLUSHALL");
            }

            all["Kv:Endpoint"] = endpoint;
        }

        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                all[key] = value;
            }
        }

        bool ownsContentRoot = contentRoot is null;
        contentRoot ??= Directory.CreateTempSubdirectory("webshop-").FullName;
        var app = WebShopApp.Build(
            new WebApplicationOptions { ContentRootPath = contentRoot, WebRootPath = SampleWebRoot(), EnvironmentName = "Development" },
            builder =>
            {
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Logging.ClearProviders();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.Configuration.AddInMemoryCollection(all);
            });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            if (ownsContentRoot)
            {
                Directory.Delete(contentRoot, recursive: true);
            }

            throw;
        }

        return new ShopServer(app, contentRoot, ownsContentRoot);
    }

    /// <summary>A client with its own cookies: one shopper, one session.</summary>
    public HttpClient NewCustomer(CookieContainer? cookies = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer() }) { BaseAddress = BaseAddress };
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsContentRoot)
        {
            Directory.Delete(ContentRoot, recursive: true);
        }
    }

    /// <summary>samples/WebShop/wwwroot of this repository, found from the test's output folder.</summary>
    private static string SampleWebRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "samples", "WebShop", "wwwroot");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("samples/WebShop/wwwroot not found above " + AppContext.BaseDirectory);
    }
}
