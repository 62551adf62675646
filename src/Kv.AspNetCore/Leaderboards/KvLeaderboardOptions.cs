namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// One board registered by <c>AddKvLeaderboard("name")</c>; bound from the configuration section
/// <c>Kv:Leaderboards:&lt;name&gt;</c> (<c>Kv:Leaderboards:daily-xp:Period</c>…) and validated when the host starts.
/// </summary>
/// <remarks>
/// A board is a sorted set at <see cref="KeyPrefix"/><c>{name}</c>, with <c>:&lt;period&gt;</c> after it for
/// periodic boards (<c>lb:{daily-xp}:2025-06-01</c>). Its other keys (distinct scores for dense ranks,
/// the arrival counter, member data, cached roll-ups) share the <c>{name}</c> hash tag, so a board lives in
/// one cluster slot and its scripts may touch all of them.
/// </remarks>
public sealed class KvLeaderboardOptions
{
    /// <summary>The configuration section the boards' sections are under (<c>Kv:Leaderboards:&lt;name&gt;</c>).</summary>
    public const string SectionName = "Kv:Leaderboards";

    /// <summary>The largest <see cref="MaxScore"/>: 2^52 - 1, leaving one arrival bit.</summary>
    public const long MaxScoreLimit = (1L << 52) - 1;

    /// <summary>How equal scores rank. Default: <see cref="LeaderboardTiePolicy.StandardCompetition"/>.</summary>
    public LeaderboardTiePolicy TiePolicy { get; set; } = LeaderboardTiePolicy.StandardCompetition;

    /// <summary>
    /// With <see cref="LeaderboardTiePolicy.FirstToReach"/>: the largest score magnitude; scores are whole
    /// numbers from -MaxScore to MaxScore. The stored score is <c>score × 2^k + (2^k - n)</c>, where n is the
    /// board's n-th score change (per period) and <c>k = 53 - bits(MaxScore)</c>, so that it stays an exact
    /// integer in a double (below 2^53). The board then takes 2^k score changes (per period) before writes fail
    /// with <see cref="InvalidOperationException"/>. Default 2^30 - 1 (1,073,741,823): 2^23 = 8,388,608 changes.
    /// 2^20 - 1 (1,048,575) gives 2^33 (8.6 billion) changes; 2^40 - 1 gives 2^13 (8,192). Ignored by the other policies
    /// (their scores are any finite double).
    /// </summary>
    public long MaxScore { get; set; } = (1L << 30) - 1;

    /// <summary>How often the board starts afresh (UTC). Default: <see cref="LeaderboardPeriod.None"/>.</summary>
    public LeaderboardPeriod Period { get; set; } = LeaderboardPeriod.None;

    /// <summary>
    /// With a <see cref="Period"/>: how many periods stay readable, the current one included; each period's
    /// keys expire at the start of the period <c>KeepPeriods</c> after it (2: today's and yesterday's daily
    /// boards exist). Also the most periods a roll-up combines. Default: 2.
    /// </summary>
    public int KeepPeriods { get; set; } = 2;

    /// <summary>
    /// Returns each entry's display data (<see cref="ILeaderboard.SetMemberDataAsync"/>) with the entry, in
    /// the same round trip (a script on the server). Off: reads of the top of the board are plain
    /// ZRANGE commands and <see cref="LeaderboardEntry.Data"/> is null. Default: false.
    /// </summary>
    public bool IncludeMemberData { get; set; }

    /// <summary>How long a roll-up's combined board is kept before it is combined again. Default: 10 seconds.</summary>
    public TimeSpan RollupCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Put before the board's hash-tagged name in its keys. Default: <c>lb:</c>.</summary>
    public string KeyPrefix { get; set; } = "lb:";
}
