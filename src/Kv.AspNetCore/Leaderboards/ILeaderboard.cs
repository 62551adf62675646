namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// A leaderboard kept on the Kv server (registered with <c>services.AddKvLeaderboard("name")</c>; inject it with
/// <c>[FromKeyedServices("name")] ILeaderboard</c> or get it from <see cref="ILeaderboardProvider"/>). Members are
/// strings; higher scores rank first; ranks are 1-based. Writes and reads go to the current period of a
/// periodic board. Writes that touch more than one key run as one script (atomic on the server).
/// </summary>
/// <remarks>Server errors surface as <c>KvConnectionException</c>, <c>KvServerException</c> or <see cref="TimeoutException"/>.</remarks>
public interface ILeaderboard : ILeaderboardReader
{
    /// <summary>The board's options (after configuration and validation).</summary>
    KvLeaderboardOptions Options { get; }

    /// <summary>Sets the member's score (adding the member when new).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The score is not finite, or (FirstToReach) not a whole number within ±<see cref="KvLeaderboardOptions.MaxScore"/>.</exception>
    /// <exception cref="InvalidOperationException">A FirstToReach board (period) has used all its arrival numbers.</exception>
    ValueTask SetAsync(string member, double score, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="by"/> (negative to subtract) to the member's score, starting from 0 for a new member; returns the new score.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite, or (FirstToReach) not whole or the new score would leave ±<see cref="KvLeaderboardOptions.MaxScore"/> (nothing is changed).</exception>
    /// <exception cref="InvalidOperationException">A FirstToReach board (period) has used all its arrival numbers.</exception>
    ValueTask<double> IncrementAsync(string member, double by, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the member's best score: sets <paramref name="score"/> only when the member is new or it beats the
    /// current score (atomically on the server; ZADD GT). Returns true when it did. On a FirstToReach board an
    /// equal score changes nothing, so the member keeps the place they reached first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="SetAsync"/>.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="SetAsync"/>.</exception>
    ValueTask<bool> SubmitAsync(string member, double score, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets many scores in few round trips (an import, a seed): 1,000 members per command or script, each batch
    /// atomic on its own, not the whole. On a FirstToReach board, equal scores rank in the order given.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A score is out of range (checked before anything is sent).</exception>
    ValueTask SetManyAsync(IEnumerable<KeyValuePair<string, double>> scores, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the member from the board (the current period); returns whether it was there. On a board without
    /// periods the member's display data goes too; on a periodic board it stays for the other periods (and expires with them).
    /// </summary>
    ValueTask<bool> RemoveAsync(string member, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps display data for the member beside the board (a small JSON document, a name): one hash per board
    /// shared by all its periods, returned in <see cref="LeaderboardEntry.Data"/> when
    /// <see cref="KvLeaderboardOptions.IncludeMemberData"/> is on. On a periodic board the hash expires with the
    /// current period's scores, each call pushing that out.
    /// </summary>
    ValueTask SetMemberDataAsync(string member, string data, CancellationToken cancellationToken = default);

    /// <summary>The member's display data; null when none is kept.</summary>
    ValueTask<string?> GetMemberDataAsync(string member, CancellationToken cancellationToken = default);

    /// <summary>
    /// The period holding <paramref name="date"/> (UTC): yesterday's daily board, last week's… Periods older than
    /// <see cref="KvLeaderboardOptions.KeepPeriods"/> have expired and read as empty. A board without periods returns itself.
    /// </summary>
    ILeaderboardReader ForPeriod(DateTimeOffset date);

    /// <summary>
    /// The current period and the <paramref name="periods"/> - 1 before it, combined into one board (ZUNIONSTORE into a
    /// cached key kept <see cref="KvLeaderboardOptions.RollupCacheDuration"/>; a read made after that combines again, in the
    /// same round trip): the week's XP from daily boards (<see cref="LeaderboardAggregate.Sum"/>), the week's best
    /// run from daily best-score boards (<see cref="LeaderboardAggregate.Max"/>). Roll-ups always rank with standard
    /// competition ranking ("1224"). Take a new one per request: it is fixed to the periods current when made.
    /// </summary>
    /// <exception cref="InvalidOperationException">The board has no <see cref="KvLeaderboardOptions.Period"/>, or it is a FirstToReach board and
    /// <paramref name="aggregate"/> is Sum (its stored scores carry arrival numbers, which do not add up).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="periods"/> is less than 1 or more than <see cref="KvLeaderboardOptions.KeepPeriods"/>.</exception>
    ILeaderboardReader Rollup(int periods, LeaderboardAggregate aggregate = LeaderboardAggregate.Sum);
}
