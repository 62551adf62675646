using Kv.Client;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// The reads of one period of a board, or of a roll-up. Plain commands where they give the ranks on their own
/// (the top of a board, any page and any member of a first-to-reach board, without member data); otherwise
/// <see cref="LeaderboardScripts.Read"/>, which adds the count above the first entry and the member data.
/// </summary>
internal sealed class LeaderboardReader : ILeaderboardReader
{
    private const string NoRollup = "";

    private readonly KvClient _client;
    private readonly ScoreEncoding _encoding;
    private readonly RankMode _ranks;
    private readonly bool _withData;
    private readonly string _board;
    private readonly string _distinct;
    private readonly string _data;
    private readonly string[]? _rollupSources;
    private readonly string _aggregate;
    private readonly long _rollupMilliseconds;

    private LeaderboardReader(
        string name, KvClient client, ScoreEncoding encoding, RankMode ranks, bool withData,
        string board, string distinct, string data, string[]? rollupSources, string aggregate, long rollupMilliseconds)
    {
        Name = name;
        _client = client;
        _encoding = encoding;
        _ranks = ranks;
        _withData = withData;
        _board = board;
        _distinct = distinct;
        _data = data;
        _rollupSources = rollupSources;
        _aggregate = aggregate;
        _rollupMilliseconds = rollupMilliseconds;
    }

    /// <summary>How ranks follow from positions: 1234, 1224 or 1223.</summary>
    internal enum RankMode : byte
    {
        Ordinal = (byte)'o',
        Competition = (byte)'c',
        Dense = (byte)'d',
    }

    public string Name { get; }

    /// <summary>The reads of one period's board.</summary>
    public static LeaderboardReader ForBoard(string name, KvClient client, ScoreEncoding encoding, bool withData, BoardPeriod period, string data)
    {
        var ranks = encoding.Policy switch
        {
            LeaderboardTiePolicy.FirstToReach => RankMode.Ordinal,
            LeaderboardTiePolicy.Dense => RankMode.Dense,
            _ => RankMode.Competition,
        };
        return new LeaderboardReader(name, client, encoding, ranks, withData, period.Board, period.Distinct, data, null, NoRollup, 0);
    }

    /// <summary>The reads of a roll-up cached at <paramref name="cache"/>, combined from <paramref name="sources"/> when missing.</summary>
    public static LeaderboardReader ForRollup(
        string name, KvClient client, ScoreEncoding encoding, bool withData, string cache, string[] sources, LeaderboardAggregate aggregate, TimeSpan cacheDuration, string data)
        => new(name, client, encoding, RankMode.Competition, withData, cache, cache, data, sources,
            aggregate == LeaderboardAggregate.Sum ? "SUM" : "MAX", Math.Max(1, (long)cacheDuration.TotalMilliseconds));

    public ValueTask<IReadOnlyList<LeaderboardEntry>> GetTopAsync(int count, CancellationToken cancellationToken = default)
        => GetPageAsync(0, count, cancellationToken);

    public async ValueTask<IReadOnlyList<LeaderboardEntry>> GetPageAsync(long offset, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        // Ranks from positions alone: ordinal ranks, or any policy's from the top (rank 1 has nobody above).
        if (!_withData && _rollupSources is null && (_ranks == RankMode.Ordinal || offset == 0))
        {
            var range = await _client.ZRangeWithScoresAsync(_board, offset, offset + count - 1, new KvRangeOptions(Reverse: true), cancellationToken).ConfigureAwait(false);
            var entries = new LeaderboardEntry[range.Length];
            var ranker = new Ranker(_ranks, offset, 0);
            for (int i = 0; i < range.Length; i++)
            {
                double score = _encoding.Decode(range[i].Score);
                entries[i] = new LeaderboardEntry(range[i].Member.ToString(), score, ranker.Next(score));
            }

            return entries;
        }

        return Entries(await ReadAsync('p', offset, count, cancellationToken).ConfigureAwait(false));
    }

    public async ValueTask<LeaderboardEntry?> GetEntryAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (_ranks == RankMode.Ordinal && _rollupSources is null)
        {
            // Rank and score (and data) are independent reads: one pipelined write, no script.
            var batch = _client.CreateBatch();
            var rank = batch.Add("ZREVRANK", _board, member);
            var score = batch.Add("ZSCORE", _board, member);
            var data = _withData ? batch.Add("HGET", _data, member) : default;
            batch.Execute(cancellationToken);
            var replies = await BatchReplies.AwaitAllAsync(_withData ? [rank, score, data] : [rank, score]).ConfigureAwait(false);
            if (replies[0].IsNull || replies[1].IsNull)
            {
                return null;
            }

            return new LeaderboardEntry(member, _encoding.Decode(replies[1].AsDouble()), replies[0].AsInt64() + 1, _withData ? replies[2].AsString() : null);
        }

        var entries = Entries(await ReadAsync('e', member, 0, cancellationToken).ConfigureAwait(false));
        return entries.Length == 0 ? null : entries[0];
    }

    public async ValueTask<IReadOnlyList<LeaderboardEntry>> GetAroundAsync(string member, int distance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentOutOfRangeException.ThrowIfNegative(distance);
        return Entries(await ReadAsync('a', member, distance, cancellationToken).ConfigureAwait(false));
    }

    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        if (_rollupSources is null)
        {
            return await _client.ZCardAsync(_board, cancellationToken).ConfigureAwait(false);
        }

        return (await ReadAsync('n', 0, 0, cancellationToken).ConfigureAwait(false)).AsInt64();
    }

    private ValueTask<KvResult> ReadAsync(char what, KvValue target, long countOrDistance, CancellationToken cancellationToken)
    {
        int sources = _rollupSources?.Length ?? 0;
        var keys = new KvKey[3 + sources];
        keys[0] = _board;
        keys[1] = _distinct;
        keys[2] = _data;
        for (int i = 0; i < sources; i++)
        {
            keys[3 + i] = _rollupSources![i];
        }

        return _client.EvalAsync(
            LeaderboardScripts.Read,
            keys,
            [What(what), Mode(_ranks), _encoding.SpanArgument, _withData ? "1" : "0", target, countOrDistance, _aggregate, _rollupMilliseconds],
            cancellationToken);
    }

    private LeaderboardEntry[] Entries(KvResult reply)
    {
        if (reply.Count < 2)
        {
            return [];
        }

        int n = (reply.Count - 2) / (_withData ? 3 : 2);
        var entries = new LeaderboardEntry[n];
        var ranker = new Ranker(_ranks, reply[0].AsInt64(), reply[1].AsInt64());
        for (int i = 0; i < n; i++)
        {
            double score = _encoding.Decode(reply[3 + (2 * i)].AsDouble());
            string? data = _withData ? reply[2 + (2 * n) + i].AsString() : null;
            entries[i] = new LeaderboardEntry(reply[2 + (2 * i)].AsString()!, score, ranker.Next(score), data);
        }

        return entries;
    }

    private static string What(char what) => what switch
    {
        'p' => "p",
        'a' => "a",
        'e' => "e",
        _ => "n",
    };

    private static string Mode(RankMode mode) => mode switch
    {
        RankMode.Ordinal => "o",
        RankMode.Dense => "d",
        _ => "c",
    };

    /// <summary>
    /// Ranks of consecutive entries from the first one's 0-based position and the count above it (members with a
    /// higher score; distinct higher scores for dense): equal scores share a rank; after a lower score, competition
    /// ranks jump to the position, dense ranks go up by one.
    /// </summary>
    private struct Ranker(RankMode mode, long position, long above)
    {
        private long _position = position;
        private long _rank;
        private double _previous;

        public long Next(double score)
        {
            long rank = mode switch
            {
                RankMode.Ordinal => _position + 1,
                _ when _rank == 0 => above + 1,
                _ when score == _previous => _rank,
                RankMode.Dense => _rank + 1,
                _ => _position + 1,
            };
            _position++;
            _rank = rank;
            _previous = score;
            return rank;
        }
    }
}
