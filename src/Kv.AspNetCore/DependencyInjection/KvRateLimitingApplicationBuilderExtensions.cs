using Kv.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Kv rate limiting to the request pipeline.</summary>
public static class KvRateLimitingApplicationBuilderExtensions
{
    /// <summary>
    /// Use instead of <c>app.UseRateLimiter()</c>: adds ASP.NET Core's rate-limiting middleware preceded by
    /// one that writes the <c>RateLimit-Policy</c> and <c>RateLimit</c> headers (draft-ietf-httpapi-ratelimit-headers-10)
    /// of the Kv policies that decided each request, on every response, refused or not. It also builds
    /// the Kv policies now, so invalid options fail at startup rather than on the first request.
    /// Place it as <c>UseRateLimiter</c> goes: after <c>UseRouting</c> when there is one.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddKvRateLimiting</c> was not called.</exception>
    /// <exception cref="OptionsValidationException">A Kv policy's options are not valid.</exception>
    public static IApplicationBuilder UseKvRateLimiter(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IKvRateLimiterFactory>() is null)
        {
            throw new InvalidOperationException("UseKvRateLimiter needs the Kv rate limiting services: call builder.Services.AddKvRateLimiting() first.");
        }

        if (app.ApplicationServices.GetService<IOptions<RateLimiterOptions>>() is { } options)
        {
            KvRateLimiterPolicy.BuildAll(options.Value, app.ApplicationServices);
        }

        app.UseMiddleware<KvRateLimitHeadersMiddleware>();
        return app.UseRateLimiter();
    }
}
