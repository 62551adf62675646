using Kv.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv rate limiting.</summary>
public static class KvRateLimitingServiceCollectionExtensions
{
    /// <summary>
    /// Registers what Kv sliding-window limiters need: <see cref="IKvRateLimiterFactory"/> (limiters
    /// for code outside HTTP), each policy's options bound from <c>Kv:RateLimiting:Policies:&lt;name&gt;</c>,
    /// and what <c>AddKv</c> registers (the app's client; the embedded server when no endpoint is set).
    /// Add policies with <c>AddRateLimiter(o =&gt; o.AddKvSlidingWindowLimiter("api", …))</c> and serve
    /// them with <c>app.UseKvRateLimiter()</c>.
    /// </summary>
    public static IServiceCollection AddKvRateLimiting(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddKv();
        if (!services.Any(d => d.ServiceType == typeof(KvRateLimiterFactory)))
        {
            services.AddSingleton<KvRateLimiterFactory>();
            services.AddSingleton<IKvRateLimiterFactory>(sp => sp.GetRequiredService<KvRateLimiterFactory>());
            services.AddSingleton<IConfigureOptions<KvSlidingWindowRateLimiterOptions>>(
                sp => new KvSlidingWindowRateLimiterOptionsSetup(sp.GetService<IConfiguration>() ?? new ConfigurationBuilder().Build()));
        }

        return services;
    }
}
