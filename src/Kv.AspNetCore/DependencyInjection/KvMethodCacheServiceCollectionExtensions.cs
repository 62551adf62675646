using System.Diagnostics.CodeAnalysis;
using Kv.AspNetCore;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Diagnostics;
using Kv.AspNetCore.MethodCaching;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers services whose [Cache] methods keep their results in the Kv cache.</summary>
public static class KvMethodCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers what [Cache] decorators need: <see cref="KvMethodCacheOptions"/> bound from
    /// <c>Kv:MethodCache</c> then <paramref name="configure"/> (validated when the host starts),
    /// <see cref="IKvMethodCache"/>, and the Kv distributed cache (<c>AddKvCache</c>) the entries live in.
    /// <c>AddKvCaching</c> and <c>DecorateWithKvCaching</c> call it.
    /// </summary>
    public static IServiceCollection AddKvMethodCaching(this IServiceCollection services, Action<KvMethodCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddKvCache();
        if (!services.Any(d => d.ServiceType == typeof(KvMethodCache)))
        {
            services.AddOptions<KvMethodCacheOptions>()
                .BindConfiguration(KvMethodCacheOptions.SectionName)
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvMethodCacheOptions>, KvMethodCacheOptionsValidator>());
            services.AddSingleton(sp => new KvMethodCache(
                sp.GetRequiredService<IOptions<KvMethodCacheOptions>>().Value,
                sp.GetRequiredService<IOptions<KvOptions>>().Value.Cache,
                sp.GetRequiredService<IDistributedCache>(),
                sp.GetRequiredService<KvClient>(),
                sp.GetRequiredService<KvMetrics>(),
                (ILogger?)sp.GetService<ILogger<KvMethodCache>>() ?? NullLogger.Instance));
            services.AddSingleton<IKvMethodCache>(sp => sp.GetRequiredService<KvMethodCache>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="TImplementation"/> as <typeparamref name="TService"/> behind the
    /// decorator the [Cache] source generator wrote for <typeparamref name="TService"/>: its [Cache]
    /// methods answer from the Kv cache, its [CacheInvalidate] methods evict, the rest forward.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="lifetime">The lifetime of the implementation and of its decorator. Default: scoped.</param>
    /// <exception cref="InvalidOperationException">No decorator was generated for <typeparamref name="TService"/> (the message says how to get one).</exception>
    public static IServiceCollection AddKvCaching<TService, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(
        this IServiceCollection services,
        ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where TService : class
        where TImplementation : class, TService
    {
        ArgumentNullException.ThrowIfNull(services);
        var decorate = KvCachedServices.FactoryOf<TService>();
        services.AddKvMethodCaching();
        services.TryAdd(new ServiceDescriptor(typeof(TImplementation), typeof(TImplementation), lifetime));
        services.Add(new ServiceDescriptor(typeof(TService), sp => decorate(sp.GetRequiredService<TImplementation>(), sp), lifetime));
        return services;
    }

    /// <summary>
    /// Wraps the last registration of <typeparamref name="TService"/> (a type, a factory or an instance,
    /// keeping its lifetime) in the decorator the [Cache] source generator wrote for it.
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> is not registered, or no decorator was generated for it.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "ServiceDescriptor.ImplementationType keeps its public constructors (DynamicallyAccessedMembers on the descriptor).")]
    public static IServiceCollection DecorateWithKvCaching<TService>(this IServiceCollection services)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(services);
        var decorate = KvCachedServices.FactoryOf<TService>();
        int index = -1;
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(TService) && !services[i].IsKeyedService)
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            throw new InvalidOperationException($"{typeof(TService).FullName} is not registered: register it first (services.AddScoped<{typeof(TService).Name}, …>()), then call DecorateWithKvCaching<{typeof(TService).Name}>(), or use AddKvCaching<{typeof(TService).Name}, …>().");
        }

        var original = services[index];
        Func<IServiceProvider, TService> inner = original switch
        {
            { ImplementationInstance: TService instance } => _ => instance,
            { ImplementationFactory: { } factory } => sp => (TService)factory(sp),
            { ImplementationType: { } type } => sp => (TService)ActivatorUtilities.CreateInstance(sp, type),
            _ => throw new InvalidOperationException($"The registration of {typeof(TService).FullName} has no type, factory or instance to decorate."),
        };
        services[index] = new ServiceDescriptor(typeof(TService), sp => decorate(inner(sp), sp), original.Lifetime);
        services.AddKvMethodCaching();
        return services;
    }
}
