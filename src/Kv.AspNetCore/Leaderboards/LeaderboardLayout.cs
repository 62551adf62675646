using System.Globalization;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// A board's keys and calendar. Every key carries the board's name as its hash tag
/// (<c>lb:{name}…</c>), so one board's keys share a cluster slot and its scripts may touch them all:
/// <c>lb:{name}[:period]</c> the scores, <c>…:distinct</c> the distinct scores (dense ranks),
/// <c>…:arrivals</c> the arrival counter (first to reach), <c>lb:{name}:data</c> the member data,
/// <c>lb:{name}:rollup:…</c> cached roll-ups. Periods are UTC; weeks are ISO 8601 weeks.
/// </summary>
internal sealed class LeaderboardLayout
{
    private readonly string _root;

    public LeaderboardLayout(string name, KvLeaderboardOptions options)
    {
        _root = options.KeyPrefix + "{" + name + "}";
        Period = options.Period;
        KeepPeriods = options.KeepPeriods;
        Data = _root + ":data";
    }

    public LeaderboardPeriod Period { get; }

    public int KeepPeriods { get; }

    /// <summary>The member data hash, shared by every period.</summary>
    public string Data { get; }

    /// <summary>The keys of the period that holds <paramref name="when"/> (the only one when the board has no period).</summary>
    public BoardPeriod PeriodOf(DateTimeOffset when)
    {
        if (Period == LeaderboardPeriod.None)
        {
            return new BoardPeriod(_root, DateTime.MinValue, DateTime.MaxValue, 0);
        }

        DateTime start = StartOf(when.UtcDateTime);
        DateTime end = Advance(start, 1);
        long expireAt = new DateTimeOffset(Advance(start, KeepPeriods), TimeSpan.Zero).ToUnixTimeMilliseconds();
        return new BoardPeriod(_root + ":" + Suffix(start), start, end, expireAt);
    }

    /// <summary>The period <paramref name="count"/> periods after (or before, when negative) the one starting at <paramref name="start"/>.</summary>
    public DateTimeOffset Shift(DateTime start, int count) => new(Advance(start, count), TimeSpan.Zero);

    /// <summary>The cached roll-up of <paramref name="periods"/> periods up to the one starting at <paramref name="start"/>.</summary>
    public string Rollup(DateTime start, int periods, LeaderboardAggregate aggregate)
        => string.Create(CultureInfo.InvariantCulture, $"{_root}:rollup:{(aggregate == LeaderboardAggregate.Sum ? "sum" : "max")}:{periods}:{Suffix(start)}");

    private DateTime StartOf(DateTime utc) => Period switch
    {
        LeaderboardPeriod.Daily => utc.Date,
        // ISO weeks start on Monday: DayOfWeek counts from Sunday = 0.
        LeaderboardPeriod.Weekly => utc.Date.AddDays(-(((int)utc.DayOfWeek + 6) % 7)),
        _ => new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc),
    };

    private DateTime Advance(DateTime start, int count) => Period switch
    {
        LeaderboardPeriod.Daily => start.AddDays(count),
        LeaderboardPeriod.Weekly => start.AddDays(7.0 * count),
        _ => start.AddMonths(count),
    };

    private string Suffix(DateTime start) => Period switch
    {
        LeaderboardPeriod.Daily => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        LeaderboardPeriod.Weekly => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(start)}-W{ISOWeek.GetWeekOfYear(start):00}"),
        _ => start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
    };
}

/// <summary>The keys of one period of a board, and when they expire.</summary>
/// <param name="Board">The scores' sorted set.</param>
/// <param name="Start">The period's first instant (UTC); <see cref="DateTime.MinValue"/> for a board without periods.</param>
/// <param name="End">The next period's first instant (UTC); <see cref="DateTime.MaxValue"/> for a board without periods.</param>
/// <param name="ExpireAtMilliseconds">When the period's keys expire (Unix ms); 0: never.</param>
internal sealed record BoardPeriod(string Board, DateTime Start, DateTime End, long ExpireAtMilliseconds)
{
    /// <summary>The distinct scores (dense ranks): member and score are both the score.</summary>
    public string Distinct { get; } = Board + ":distinct";

    /// <summary>The arrival counter (first to reach).</summary>
    public string Arrivals { get; } = Board + ":arrivals";

    public bool Contains(DateTime utc) => utc >= Start && utc < End;
}
