namespace Kv.AspNetCore.Leaderboards;

/// <summary>How members with equal scores are ranked. Ranks are 1-based: the best member is rank 1.</summary>
public enum LeaderboardTiePolicy
{
    /// <summary>
    /// Standard competition ranking ("1224"): equal scores share a rank and the next rank skips, so a
    /// member's rank is 1 + the number of members with a strictly higher score.
    /// </summary>
    StandardCompetition,

    /// <summary>
    /// Dense ranking ("1223"): equal scores share a rank and the next rank does not skip, so a member's
    /// rank is 1 + the number of distinct scores higher than theirs. Each write also keeps a sorted set
    /// of the board's distinct scores, in the same script.
    /// </summary>
    Dense,

    /// <summary>
    /// Ordinal ranking ("1234"): of two members with equal scores, the one that reached the score first
    /// ranks first. Scores must be whole numbers within ±<see cref="KvLeaderboardOptions.MaxScore"/>:
    /// the server keeps an arrival number in the low bits of each stored score.
    /// </summary>
    FirstToReach,
}
