using Kv.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="KvClient"/> as the application's singleton.</summary>
public static class KvClientServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="KvClient"/> for a connection string (<c>redis://user:pass@host:port/db</c>, <c>rediss://…</c> or <c>host:port</c>). It connects in the background when first resolved.</summary>
    public static IServiceCollection AddKvClient(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = KvClientOptions.Parse(connectionString);
        return services.AddKvClient(o => Copy(options, o));
    }

    /// <summary>Registers a <see cref="KvClient"/> configured by <paramref name="configure"/>. It connects in the background when first resolved.</summary>
    public static IServiceCollection AddKvClient(this IServiceCollection services, Action<KvClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton(_ =>
        {
            var options = new KvClientOptions();
            configure(options);
            return new KvClient(options);
        });
        return services;
    }

    private static void Copy(KvClientOptions from, KvClientOptions to)
    {
        to.Host = from.Host;
        to.Port = from.Port;
        to.User = from.User;
        to.Password = from.Password;
        to.Database = from.Database;
        to.UseTls = from.UseTls;
    }
}
