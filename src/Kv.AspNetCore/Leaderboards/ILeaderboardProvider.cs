namespace Kv.AspNetCore.Leaderboards;

/// <summary>The registered leaderboards by name, for code that does not use keyed services.</summary>
public interface ILeaderboardProvider
{
    /// <summary>The board registered with <c>AddKvLeaderboard(name)</c>.</summary>
    /// <exception cref="InvalidOperationException">No board of that name is registered.</exception>
    ILeaderboard Get(string name);
}
