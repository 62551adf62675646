using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real ASP.NET Core app on Kestrel, bound to 127.0.0.1 on a free port, with its own content root
/// (so the embedded server's data folder is private to the test). Disposing stops the host cleanly
/// and deletes the content root it made; a content root passed in belongs to the caller.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private readonly bool _ownsContentRoot;

    private TestApp(WebApplication app, string contentRoot, bool ownsContentRoot)
    {
        App = app;
        ContentRoot = contentRoot;
        _ownsContentRoot = ownsContentRoot;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Client = new HttpClient { BaseAddress = new Uri(addresses.First()) };
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public HttpClient Client { get; }

    public string ContentRoot { get; }

    /// <summary>
    /// Starts an app. <paramref name="settings"/> are configuration keys such as <c>Kv:Endpoint</c>;
    /// <paramref name="contentRoot"/> (kept on dispose) lets a second app open the first one's data.
    /// </summary>
    public static async Task<TestApp> StartAsync(
        Action<IServiceCollection> services,
        Action<WebApplication>? endpoints = null,
        IDictionary<string, string?>? settings = null,
        string? contentRoot = null)
    {
        bool ownsContentRoot = contentRoot is null;
        contentRoot ??= Directory.CreateTempSubdirectory("kv-app-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        services(builder.Services);
        var app = builder.Build();
        endpoints?.Invoke(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A start that fails (options validation) still leaves services to dispose.
            await app.DisposeAsync();
            if (ownsContentRoot)
            {
                Directory.Delete(contentRoot, recursive: true);
            }

            throw;
        }

        return new TestApp(app, contentRoot, ownsContentRoot);
    }

    /// <summary>The settings that point an app at <paramref name="redis"/>, or none for the embedded server.</summary>
    public static Dictionary<string, string?> Settings(string server, Kv.Client.Tests.Infrastructure.RedisProcess? redis)
        => server == "redis" ? new() { ["Kv:Endpoint"] = $"redis://127.0.0.1:{redis!.Port}" } : new();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsContentRoot)
        {
            Directory.Delete(ContentRoot, recursive: true);
        }
    }
}
