using Kv.Client;
using Kv.Locks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv.Locks.</summary>
public static class KvLocksServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDistributedLockProvider"/> (a <see cref="KvDistributedLockProvider"/>
    /// singleton) on the application's <see cref="KvClient"/>, which must be registered too:
    /// <c>services.AddKvClient("redis://host:6379")</c>, or Kv.AspNetCore's <c>AddKv()</c>. A
    /// <see cref="TimeProvider"/> in the container is used as the clock. Registering twice keeps the first.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="KvLockOptions"/>; validated when the provider is first resolved.</param>
    public static IServiceCollection AddKvLocks(this IServiceCollection services, Action<KvLockOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp =>
        {
            var client = sp.GetService<KvClient>() ?? throw new InvalidOperationException(
                "AddKvLocks needs a KvClient in the container: call services.AddKvClient(\"redis://host:6379\") (Kv.Client) or services.AddKv() (Kv.AspNetCore) as well.");
            var options = new KvLockOptions();
            configure?.Invoke(options);
            return new KvDistributedLockProvider(client, options, sp.GetService<TimeProvider>());
        });
        services.TryAddSingleton<IDistributedLockProvider>(sp => sp.GetRequiredService<KvDistributedLockProvider>());
        return services;
    }
}
