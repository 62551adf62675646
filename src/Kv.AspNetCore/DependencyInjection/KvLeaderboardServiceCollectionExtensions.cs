using Kv.AspNetCore.Leaderboards;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv leaderboards.</summary>
public static class KvLeaderboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the leaderboard <paramref name="name"/>: an <see cref="ILeaderboard"/> keyed by the name
    /// (<c>[FromKeyedServices("name")] ILeaderboard board</c>), <see cref="ILeaderboardProvider"/> to get boards by name,
    /// <see cref="KvLeaderboardOptions"/> named after the board, bound from <c>Kv:Leaderboards:&lt;name&gt;</c> then
    /// <paramref name="configure"/> (validated when the host starts), and what <c>AddKv</c> registers (the app's client;
    /// the embedded server when no endpoint is set). Calling it again for a name only adds <paramref name="configure"/>.
    /// The board reads the clock from the app's <see cref="TimeProvider"/> when one is registered.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or holds a brace (the name is the board's hash tag).</exception>
    public static IServiceCollection AddKvLeaderboard(this IServiceCollection services, string name, Action<KvLeaderboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException($"The leaderboard name '{name}' holds a brace: the name is its keys' hash tag ({{name}}).", nameof(name));
        }

        services.AddKv();
        if (!services.Any(d => d.ServiceType == typeof(ILeaderboardProvider)))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvLeaderboardOptions>, KvLeaderboardOptionsValidator>());
            services.AddSingleton<ILeaderboardProvider, KvLeaderboardProvider>();
        }

        if (!services.Any(d => d.ImplementationInstance is LeaderboardRegistration r && r.Name == name))
        {
            services.AddSingleton(new LeaderboardRegistration(name));
            services.AddOptions<KvLeaderboardOptions>(name)
                .BindConfiguration($"{KvLeaderboardOptions.SectionName}:{name}")
                .ValidateOnStart();
            services.AddKeyedSingleton<ILeaderboard>(name, (sp, _) => new KvLeaderboard(
                name,
                sp.GetRequiredService<KvClient>(),
                sp.GetRequiredService<IOptionsMonitor<KvLeaderboardOptions>>().Get(name),
                sp.GetService<TimeProvider>()));
        }

        if (configure is not null)
        {
            services.Configure(name, configure);
        }

        return services;
    }
}
