using Kv.AspNetCore;
using Kv.AspNetCore.Session;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv session state.</summary>
public static class KvSessionServiceCollectionExtensions
{
    /// <summary>
    /// Registers session state kept on the Kv server (add <c>app.UseKvSession()</c> to the pipeline):
    /// <see cref="KvSessionOptions"/> bound from <c>Kv:Session</c> then <paramref name="configure"/>
    /// (validated when the host starts), Data Protection for the session cookie, and what
    /// <c>AddKv</c> registers (the app's client; the embedded server when no endpoint is set).
    /// </summary>
    /// <remarks>
    /// Unlike ASP.NET Core's <c>AddSession</c>, a session is loaded asynchronously before the endpoint
    /// runs (so <see cref="ISession"/> never blocks a thread on I/O), a request without a session cookie
    /// costs no server call, and a request saves only the keys it changed, so concurrent requests of one
    /// session do not overwrite each other's keys.
    /// </remarks>
    public static IServiceCollection AddKvSession(this IServiceCollection services, Action<KvSessionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddKv();
        if (!services.Any(d => d.ServiceType == typeof(KvSessionStore)))
        {
            services.AddDataProtection();
            services.AddOptions<KvSessionOptions>()
                .BindConfiguration(KvSessionOptions.SectionName)
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvSessionOptions>, KvSessionOptionsValidator>());
            services.AddSingleton<KvSessionStore>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }
}
