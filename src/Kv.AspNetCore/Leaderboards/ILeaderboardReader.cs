namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// Reads of a board: the current period of an <see cref="ILeaderboard"/>, a past period
/// (<see cref="ILeaderboard.ForPeriod"/>) or a roll-up of several (<see cref="ILeaderboard.Rollup"/>).
/// Ranks are 1-based (the best member is rank 1) and follow the board's <see cref="LeaderboardTiePolicy"/>;
/// entries come best first. Each read is one round trip to the server.
/// </summary>
public interface ILeaderboardReader
{
    /// <summary>The board's name (as registered with <c>AddKvLeaderboard</c>).</summary>
    string Name { get; }

    /// <summary>The <paramref name="count"/> best members, best first.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    ValueTask<IReadOnlyList<LeaderboardEntry>> GetTopAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// <paramref name="count"/> members from the 0-based position <paramref name="offset"/> in score order (offset 20,
    /// count 10: the third page of ten). Ranks are computed from the whole board, so a page that starts inside
    /// a tie shows the tie's shared rank. Empty past the end.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative or <paramref name="count"/> less than 1.</exception>
    ValueTask<IReadOnlyList<LeaderboardEntry>> GetPageAsync(long offset, int count, CancellationToken cancellationToken = default);

    /// <summary>The member's score and rank; null when the member is not on the board.</summary>
    ValueTask<LeaderboardEntry?> GetEntryAsync(string member, CancellationToken cancellationToken = default);

    /// <summary>
    /// The member with up to <paramref name="distance"/> members above and <paramref name="distance"/> below
    /// (fewer at the top and bottom of the board), best first; empty when the member is not on the board.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="distance"/> is negative.</exception>
    ValueTask<IReadOnlyList<LeaderboardEntry>> GetAroundAsync(string member, int distance, CancellationToken cancellationToken = default);

    /// <summary>The number of members on the board.</summary>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);
}
