using Kv.AspNetCore;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Diagnostics;
using Kv.AspNetCore.Embedded;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Kv building blocks.</summary>
public static class KvServiceCollectionExtensions
{
    /// <summary>
    /// Registers what every Kv block stands on: <see cref="KvOptions"/> (bound from the <c>Kv</c>
    /// configuration section, <c>ConnectionStrings:Kv</c> as the endpoint's fallback, then
    /// <paramref name="configure"/>; validated when the host starts), the app's <see cref="KvClient"/>
    /// singleton, and, when no endpoint is set, the embedded server started and stopped with the host.
    /// Called by <c>AddKvCache</c> and <c>AddKvSession</c>; calling it again only adds <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddKv(this IServiceCollection services, Action<KvOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(KvClientFactory)))
        {
            services.AddOptions<KvOptions>()
                .BindConfiguration(KvOptions.SectionName)
                .Configure<IConfiguration>((options, configuration) =>
                {
                    if (options.IsEmbedded && configuration.GetConnectionString("Kv") is { Length: > 0 } connectionString)
                    {
                        options.Endpoint = connectionString;
                    }
                })
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvOptions>, KvOptionsValidator>());
            services.AddSingleton<EmbeddedKvServer>();
            services.AddSingleton<IHostedService, EmbeddedServerHostedService>();
            services.AddSingleton<KvClientFactory>();
            services.TryAddSingleton(sp => sp.GetRequiredService<KvClientFactory>().Create());
            services.TryAddSingleton<KvMetrics>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Registers the Kv distributed cache as <see cref="IDistributedCache"/>, <see cref="IBufferDistributedCache"/>
    /// (HybridCache's second level) and <see cref="KvDistributedCache"/>. With no endpoint configured the
    /// app hosts its own Kv server, so nothing needs installing; <c>o.Endpoint = "redis://host:6379"</c> (or
    /// <c>Kv:Endpoint</c> in configuration) points it at kv-server, Redis, Valkey or Garnet.
    /// </summary>
    public static IServiceCollection AddKvCache(this IServiceCollection services, Action<KvOptions>? configure = null)
    {
        services.AddKv(configure);
        services.TryAddSingleton(sp =>
        {
            var cache = sp.GetRequiredService<IOptions<KvOptions>>().Value.Cache;
            return new KvDistributedCache(
                sp.GetRequiredService<KvClient>(),
                cache,
                sp.GetRequiredService<KvMetrics>(),
                sp.GetService<ILogger<KvDistributedCache>>(),
                sp.GetService<TimeProvider>(),
                cache.NearCache.Enabled ? sp.GetRequiredService<NearCache>() : null,
                cache.UseGenerations ? sp.GetRequiredService<CacheGeneration>() : null);
        });

        // The near cache's own client tracks the keys it reads (CLIENT TRACKING); made only when enabled.
        // NOLOOP: the cache drops its own copy before it writes, so reports of its own writes would only
        // arrive after the write's reply and throw away the next read's value for nothing.
        services.TryAddSingleton(sp => new NearCache(
            sp.GetRequiredService<KvClientFactory>().Create(o => o.Tracking = new KvTrackingOptions { NoLoop = true }),
            sp.GetRequiredService<IOptions<KvOptions>>().Value.Cache.NearCache.MaxBytes));

        // Generations (made only when enabled) need a tracking client too: the near cache's when there
        // is one (resolved first, so it is disposed after the sweep that uses its client); otherwise
        // their own, in broadcast mode for the generation key alone, so the server remembers no key
        // per read and reports nothing but changes of the generation.
        services.TryAddSingleton(sp =>
        {
            var cache = sp.GetRequiredService<IOptions<KvOptions>>().Value.Cache;
            string instanceName = cache.InstanceName ?? "";
            var logger = (ILogger?)sp.GetService<ILogger<KvDistributedCache>>() ?? NullLogger.Instance;
            if (cache.NearCache.Enabled)
            {
                var near = sp.GetRequiredService<NearCache>();
                return new CacheGeneration(near.Client, instanceName, near, ownsClient: false, logger);
            }

            var client = sp.GetRequiredService<KvClientFactory>().Create(o => o.Tracking = new KvTrackingOptions
            {
                Broadcast = true,
                Prefixes = [CacheGeneration.KeyOf(instanceName)],
            });
            return new CacheGeneration(client, instanceName, null, ownsClient: true, logger);
        });
        services.Replace(ServiceDescriptor.Singleton<IDistributedCache>(sp => sp.GetRequiredService<KvDistributedCache>()));
        services.Replace(ServiceDescriptor.Singleton<IBufferDistributedCache>(sp => sp.GetRequiredService<KvDistributedCache>()));
        return services;
    }
}
