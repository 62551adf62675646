namespace Kv.AspNetCore.Leaderboards;

/// <summary>How often a board starts afresh. Periods are computed in UTC.</summary>
public enum LeaderboardPeriod
{
    /// <summary>One board for all time.</summary>
    None,

    /// <summary>A board per UTC day (key suffix <c>2025-06-01</c>).</summary>
    Daily,

    /// <summary>A board per ISO 8601 week, Monday to Sunday in UTC (key suffix <c>2025-W22</c>).</summary>
    Weekly,

    /// <summary>A board per UTC calendar month (key suffix <c>2025-06</c>).</summary>
    Monthly,
}
