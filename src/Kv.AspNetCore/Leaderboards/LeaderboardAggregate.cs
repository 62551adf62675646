namespace Kv.AspNetCore.Leaderboards;

/// <summary>How a roll-up combines a member's scores of several periods.</summary>
public enum LeaderboardAggregate
{
    /// <summary>The sum of the member's scores ("XP this week" from daily boards).</summary>
    Sum,

    /// <summary>The member's best score of the periods ("best run this week" from daily best-score boards).</summary>
    Max,
}
