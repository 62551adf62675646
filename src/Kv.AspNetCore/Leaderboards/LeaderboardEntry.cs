namespace Kv.AspNetCore.Leaderboards;

/// <summary>A member's place on a board.</summary>
/// <param name="Member">The member (a player or product id).</param>
/// <param name="Score">The member's score as it was set (never the stored encoding).</param>
/// <param name="Rank">The 1-based rank under the board's <see cref="LeaderboardTiePolicy"/>: the best member is 1.</param>
/// <param name="Data">The member's display data (<see cref="ILeaderboard.SetMemberDataAsync"/>) when the board has
/// <see cref="KvLeaderboardOptions.IncludeMemberData"/> on and the member has some; otherwise null.</param>
public readonly record struct LeaderboardEntry(string Member, double Score, long Rank, string? Data = null);
