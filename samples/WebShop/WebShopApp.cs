using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;
using WebShop.Cart;
using WebShop.Catalog;
using WebShop.Orders;

namespace WebShop;

/// <summary>The shop's composition: every Kv building block wired as an app would, in one place.</summary>
public static class WebShopApp
{
    /// <summary>The rate-limiting policy of <c>/api</c>: <c>Kv:RateLimiting:Policies:api</c>.</summary>
    public const string ApiPolicy = "api";

    /// <summary>
    /// Builds the app. <paramref name="configure"/> runs after the app's own configuration is read, so
    /// tests can change URLs and settings before services are registered.
    /// </summary>
    public static WebApplication Build(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);
        var services = builder.Services;

        // Kv: the embedded server (data in kv-data/, so carts and boards survive a restart) unless
        // Kv:Endpoint names a kv-server or Redis; the cache under [Cache] methods; sessions; locks.
        services.AddKvCache();
        services.AddKvSession(o => o.IdleTimeout = TimeSpan.FromHours(2));
        services.AddKvLocks(o => o.Lease = TimeSpan.FromSeconds(15));
        services.AddKvLeaderboard(CheckoutService.Board, o => o.IncludeMemberData = true); // product names with the ranks
        services.AddKvCaching<IProductCatalog, ProductCatalog>();
        services.AddKvRateLimiting();
        services.AddRateLimiter(o => o.AddKvSlidingWindowLimiter(ApiPolicy, p =>
        {
            // appsettings.json is bound first; these are the defaults when it says nothing.
            if (p.PermitLimit == 0)
            {
                p.PermitLimit = 100;
            }

            if (p.Window == TimeSpan.Zero)
            {
                p.Window = TimeSpan.FromSeconds(10);
            }
        }));
        services.AddHealthChecks().AddKvHealthCheck();

        services.AddSingleton<ProductDatabase>();
        services.AddSingleton<StockStore>();
        services.AddHostedService<StockSeeder>();
        services.AddScoped<CheckoutService>();

        // Bad input is a 4xx with problem details, never a 500: binding failures are thrown (in every
        // environment) so BadRequestExceptionHandler answers 400 saying what was wrong, and other empty
        // error responses get a problem-details body.
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A client's malformed request is answered, not logged as a server error.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException or JsonException,
        });
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseKvRateLimiter();
        app.UseKvSession();

        var api = app.MapGroup("/api").RequireRateLimiting(ApiPolicy);
        api.MapCatalog();
        api.MapCart();
        api.MapOrders();
        app.MapHealthChecks("/health");
        return app;
    }

    // "Failed to read parameter … as JSON." plus where the JSON went wrong, when the reader said.
    private static string Describe(Exception exception) =>
        exception.InnerException is JsonException json ? exception.Message + " " + json.Message : exception.Message;

    /// <summary>Malformed requests that surface as exceptions answer 400 with problem details.</summary>
    private sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            int status = exception switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                JsonException => StatusCodes.Status400BadRequest,
                _ => 0,
            };
            if (status == 0)
            {
                return false;
            }

            context.Response.StatusCode = status;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                Exception = exception,
                ProblemDetails = { Status = status, Title = "Invalid request", Detail = Describe(exception) },
            });
        }
    }
}
