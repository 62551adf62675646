using Kv.AspNetCore.Session;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Kv session state to the request pipeline.</summary>
public static class KvSessionApplicationBuilderExtensions
{
    /// <summary>
    /// Gives each request its session (<c>HttpContext.Session</c>, <see cref="ISession"/>), registered with
    /// <c>AddKvSession</c>. Place it after the middleware that need no session (static files, health checks):
    /// a request with a session cookie loads its session here, in one round trip, before the endpoint runs.
    /// Changes are saved as the response starts, so a failure to save can still fail the request.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddKvSession</c> was not called.</exception>
    public static IApplicationBuilder UseKvSession(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IServiceProviderIsService>() is { } services && !services.IsService(typeof(KvSessionStore)))
        {
            throw new InvalidOperationException("UseKvSession needs the Kv session services: call builder.Services.AddKvSession() first.");
        }

        return app.UseMiddleware<KvSessionMiddleware>();
    }
}
