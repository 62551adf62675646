using System.Globalization;
using System.Numerics;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// How a board stores scores. <see cref="LeaderboardTiePolicy.FirstToReach"/> keeps
/// <c>score × Span + (Span - n)</c>, n being the board's n-th score change: any stored value below 2^53 is an
/// exact integer in a double, so the high part orders by score and, among equal scores, the larger low
/// part (an earlier change) ranks first. The other policies store the score as it is (<see cref="Span"/> 1).
/// </summary>
internal sealed class ScoreEncoding
{
    private ScoreEncoding(LeaderboardTiePolicy policy, long maxScore, double span)
    {
        Policy = policy;
        MaxScore = maxScore;
        Span = span;
        SpanArgument = ((long)span).ToString(CultureInfo.InvariantCulture);
        MaxArgument = maxScore.ToString(CultureInfo.InvariantCulture);
    }

    public LeaderboardTiePolicy Policy { get; }

    /// <summary>The largest score magnitude (FirstToReach); <see cref="double.MaxValue"/> otherwise.</summary>
    public long MaxScore { get; }

    /// <summary>2^k: the number of arrival numbers, and the factor on the score (1 when scores are stored as they are).</summary>
    public double Span { get; }

    /// <summary><see cref="Span"/> as the scripts take it.</summary>
    public string SpanArgument { get; }

    /// <summary><see cref="MaxScore"/> as the scripts take it.</summary>
    public string MaxArgument { get; }

    public bool IsEncoded => Policy == LeaderboardTiePolicy.FirstToReach;

    public static ScoreEncoding For(KvLeaderboardOptions options)
    {
        if (options.TiePolicy != LeaderboardTiePolicy.FirstToReach)
        {
            return new ScoreEncoding(options.TiePolicy, long.MaxValue, 1);
        }

        int scoreBits = 64 - BitOperations.LeadingZeroCount((ulong)options.MaxScore);
        return new ScoreEncoding(options.TiePolicy, options.MaxScore, Math.ScaleB(1, 53 - scoreBits));
    }

    /// <summary>The score the user set, from the stored value.</summary>
    public double Decode(double stored) => IsEncoded ? Math.Floor(stored / Span) : stored;

    /// <summary>Checks a score given to a write.</summary>
    /// <returns>The score, with -0 made 0 (the server would keep "-0" apart from "0").</returns>
    /// <exception cref="ArgumentOutOfRangeException">The score is not finite, or (FirstToReach) not a whole number within ±MaxScore.</exception>
    public double Validate(double score, string paramName)
    {
        if (!double.IsFinite(score))
        {
            throw new ArgumentOutOfRangeException(paramName, score, "A leaderboard score must be a finite number.");
        }

        if (IsEncoded && (score != Math.Floor(score) || Math.Abs(score) > MaxScore))
        {
            throw new ArgumentOutOfRangeException(paramName, score, $"A FirstToReach board takes whole-number scores from -{MaxScore} to {MaxScore} (KvLeaderboardOptions.MaxScore).");
        }

        return score + 0.0;
    }

    /// <summary>Checks an increment: as a score, but up to twice MaxScore (a result beyond MaxScore is refused by the server).</summary>
    public double ValidateIncrement(double by, string paramName)
    {
        if (!double.IsFinite(by))
        {
            throw new ArgumentOutOfRangeException(paramName, by, "A leaderboard increment must be a finite number.");
        }

        if (IsEncoded && (by != Math.Floor(by) || Math.Abs(by) > 2.0 * MaxScore))
        {
            throw new ArgumentOutOfRangeException(paramName, by, $"A FirstToReach board takes whole-number increments; the score must stay within ±{MaxScore} (KvLeaderboardOptions.MaxScore).");
        }

        return by + 0.0;
    }
}
