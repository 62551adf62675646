using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>A board's name, registered once per <c>AddKvLeaderboard</c> name so the provider knows the names.</summary>
internal sealed record LeaderboardRegistration(string Name);

/// <summary>The keyed <see cref="ILeaderboard"/> singletons, by name.</summary>
internal sealed class KvLeaderboardProvider(IServiceProvider services, IEnumerable<LeaderboardRegistration> registrations) : ILeaderboardProvider
{
    private readonly HashSet<string> _names = [.. registrations.Select(r => r.Name)];

    public ILeaderboard Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _names.Contains(name)
            ? services.GetRequiredKeyedService<ILeaderboard>(name)
            : throw new InvalidOperationException($"No leaderboard named '{name}' is registered: call services.AddKvLeaderboard(\"{name}\") at startup.");
    }
}
