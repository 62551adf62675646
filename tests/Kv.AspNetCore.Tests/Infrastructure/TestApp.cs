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
/// (so the embedded server's data folder is private to the test). Disposing stops the host cleanly.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, string contentRoot)
    {
        App = app;
        ContentRoot = contentRoot;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Client = new HttpClient { BaseAddress = new Uri(addresses.First()) };
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public HttpClient Client { get; }

    public string ContentRoot { get; }

    /// <summary>Starts an app. <paramref name="settings"/> are configuration keys such as <c>Kv:Endpoint</c>.</summary>
    public static async Task<TestApp> StartAsync(
        Action<IServiceCollection> services,
        Action<WebApplication>? endpoints = null,
        IDictionary<string, string?>? settings = null,
        string? contentRoot = null)
    {
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
            throw;
        }

        return new TestApp(app, contentRoot);
    }

    /// <summary>The settings that point an app at <paramref name="redis"/>, or none for the embedded server.</summary>
    public static Dictionary<string, string?> Settings(string server, Kv.Client.Tests.Infrastructure.RedisProcess? redis)
        => server == "redis" ? new() { ["Kv:Endpoint"] = $"redis://127.0.0.1:{redis!.Port}" } : new();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
