using Kv.Client;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// A leaderboard on the Kv server. A board without periods and with standard competition ranks writes with
/// single commands (ZADD, ZINCRBY, ZADD GT CH); every other write is <see cref="LeaderboardScripts.Write"/>, which
/// keeps the board's other keys (distinct scores, arrival counter, expiry) in step atomically.
/// </summary>
internal sealed class KvLeaderboard : ILeaderboard
{
    /// <summary>Members per ZADD or script in <see cref="SetManyAsync"/>: big enough to amortize the round trip, small enough not to stall the server.</summary>
    internal const int BatchSize = 1000;

    /// <summary>
    /// Batches of <see cref="SetManyAsync"/> in flight at once: enough to keep the connection busy, few enough that the
    /// last one's reply never waits behind the whole import (each command has CommandTimeout to answer).
    /// </summary>
    internal const int BatchesInFlight = 8;

    private readonly KvClient _client;
    private readonly LeaderboardLayout _layout;
    private readonly ScoreEncoding _encoding;
    private readonly TimeProvider _time;
    private readonly string _policy;

    // Plain commands suffice: no other key to keep in step, no expiry to set.
    private readonly bool _singleKeyWrites;

    // The current period's keys and reads, replaced when the clock passes the period's end.
    private volatile Current _current;

    public KvLeaderboard(string name, KvClient client, KvLeaderboardOptions options, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException($"The leaderboard name '{name}' holds a brace: the name is its keys' hash tag ({{name}}).", nameof(name));
        }

        Name = name;
        Options = options;
        _client = client;
        _time = time ?? TimeProvider.System;
        _layout = new LeaderboardLayout(name, options);
        _encoding = ScoreEncoding.For(options);
        _policy = options.TiePolicy switch
        {
            LeaderboardTiePolicy.FirstToReach => "f",
            LeaderboardTiePolicy.Dense => "d",
            _ => "c",
        };
        _singleKeyWrites = options.TiePolicy == LeaderboardTiePolicy.StandardCompetition && options.Period == LeaderboardPeriod.None;
        _current = CurrentAt(_time.GetUtcNow());
    }

    public string Name { get; }

    public KvLeaderboardOptions Options { get; }

    public async ValueTask SetAsync(string member, double score, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        score = _encoding.Validate(score, nameof(score));
        var current = Now();
        if (_singleKeyWrites)
        {
            await _client.ZAddAsync(current.Period.Board, member, score, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        Written(await WriteAsync(current.Period, "s", member, score, cancellationToken).ConfigureAwait(false));
    }

    public async ValueTask<double> IncrementAsync(string member, double by, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        by = _encoding.ValidateIncrement(by, nameof(by));
        var current = Now();
        if (_singleKeyWrites)
        {
            return await _client.ZIncrByAsync(current.Period.Board, member, by, cancellationToken).ConfigureAwait(false);
        }

        var reply = Written(await WriteAsync(current.Period, "i", member, by, cancellationToken).ConfigureAwait(false));
        return reply[0].AsDouble();
    }

    public async ValueTask<bool> SubmitAsync(string member, double score, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        score = _encoding.Validate(score, nameof(score));
        var current = Now();
        if (_singleKeyWrites)
        {
            // GT: only a higher score replaces the one kept; CH: count it as changed.
            var changed = await _client.ExecuteAsync("ZADD", [current.Period.Board, "GT", "CH", score, member], cancellationToken).ConfigureAwait(false);
            return changed.AsInt64() == 1;
        }

        var reply = Written(await WriteAsync(current.Period, "b", member, score, cancellationToken).ConfigureAwait(false));
        return reply[1].AsInt64() == 1;
    }

    public async ValueTask SetManyAsync(IEnumerable<KeyValuePair<string, double>> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var pairs = new List<KeyValuePair<string, double>>(scores is ICollection<KeyValuePair<string, double>> c ? c.Count : BatchSize);
        foreach (var pair in scores)
        {
            ArgumentNullException.ThrowIfNull(pair.Key, nameof(scores));
            pairs.Add(new(pair.Key, _encoding.Validate(pair.Value, nameof(scores))));
        }

        var period = Now().Period;
        var inFlight = new Queue<ValueTask<KvResult>>(BatchesInFlight);
        for (int start = 0; start < pairs.Count; start += BatchSize)
        {
            if (inFlight.Count == BatchesInFlight)
            {
                try
                {
                    Written(await inFlight.Dequeue().ConfigureAwait(false));
                }
                catch
                {
                    // The first failure is the one thrown; the others' replies are still awaited (pooled operations).
                    foreach (var pending in inFlight)
                    {
                        try
                        {
                            await pending.ConfigureAwait(false);
                        }
                        catch (Exception)
                        {
                        }
                    }

                    throw;
                }
            }

            int count = Math.Min(BatchSize, pairs.Count - start);
            if (_singleKeyWrites)
            {
                var args = new KvValue[1 + (2 * count)];
                args[0] = period.Board;
                for (int i = 0; i < count; i++)
                {
                    args[1 + (2 * i)] = pairs[start + i].Value;
                    args[2 + (2 * i)] = pairs[start + i].Key;
                }

                inFlight.Enqueue(_client.ExecuteAsync("ZADD", args, cancellationToken));
            }
            else
            {
                var args = new KvValue[5 + (2 * count)];
                WriteArguments(args, period, "s");
                for (int i = 0; i < count; i++)
                {
                    args[5 + (2 * i)] = pairs[start + i].Key;
                    args[6 + (2 * i)] = Argument(pairs[start + i].Value);
                }

                inFlight.Enqueue(_client.EvalAsync(LeaderboardScripts.Write, Keys(period), args, cancellationToken));
            }
        }

        // Every reply is awaited (each pooled operation goes back to its pool) before the first failure is thrown.
        foreach (var reply in await BatchReplies.AwaitAllAsync([.. inFlight]).ConfigureAwait(false))
        {
            Written(reply);
        }
    }

    public async ValueTask<bool> RemoveAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        var period = Now().Period;
        var reply = await _client.EvalAsync(
            LeaderboardScripts.Remove,
            [period.Board, period.Distinct, _layout.Data],
            [member, _policy == "d" ? "1" : "0", Options.Period == LeaderboardPeriod.None ? "1" : "0"],
            cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() == 1;
    }

    public async ValueTask SetMemberDataAsync(string member, string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(data);
        var period = Now().Period;
        if (period.ExpireAtMilliseconds == 0)
        {
            await _client.HSetAsync(_layout.Data, member, data, cancellationToken).ConfigureAwait(false);
            return;
        }

        // One key, two commands in one write: the data and the hash's expiry, pushed out to the current period's.
        var batch = _client.CreateBatch();
        var set = batch.Add("HSET", _layout.Data, member, data);
        var expire = batch.Add("PEXPIREAT", _layout.Data, period.ExpireAtMilliseconds);
        batch.Execute(cancellationToken);
        await BatchReplies.AwaitAllAsync([set, expire]).ConfigureAwait(false);
    }

    public async ValueTask<string?> GetMemberDataAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        return (string?)await _client.HGetAsync(_layout.Data, member, cancellationToken).ConfigureAwait(false);
    }

    public ILeaderboardReader ForPeriod(DateTimeOffset date)
    {
        var current = Now();
        return current.Period.Contains(date.UtcDateTime) ? current.Reader : CurrentAt(date).Reader;
    }

    public ILeaderboardReader Rollup(int periods, LeaderboardAggregate aggregate = LeaderboardAggregate.Sum)
    {
        if (Options.Period == LeaderboardPeriod.None)
        {
            throw new InvalidOperationException($"The leaderboard '{Name}' has no Period: only daily, weekly and monthly boards have periods to roll up.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(periods, 1);
        if (periods > Options.KeepPeriods)
        {
            throw new ArgumentOutOfRangeException(nameof(periods), periods, $"The leaderboard '{Name}' keeps {Options.KeepPeriods} periods (Kv:Leaderboards:{Name}:KeepPeriods): older ones have expired.");
        }

        if (!Enum.IsDefined(aggregate))
        {
            throw new ArgumentOutOfRangeException(nameof(aggregate), aggregate, "Use Sum or Max.");
        }

        if (_encoding.IsEncoded && aggregate == LeaderboardAggregate.Sum)
        {
            throw new InvalidOperationException($"The leaderboard '{Name}' ranks FirstToReach: its stored scores carry arrival numbers, which do not add up across periods. Roll it up with LeaderboardAggregate.Max, or use StandardCompetition or Dense to sum.");
        }

        var period = Now().Period;
        var sources = new string[periods];
        for (int i = 0; i < periods; i++)
        {
            sources[i] = _layout.PeriodOf(_layout.Shift(period.Start, -i)).Board;
        }

        return LeaderboardReader.ForRollup(
            Name, _client, _encoding, Options.IncludeMemberData, _layout.Rollup(period.Start, periods, aggregate), sources, aggregate, Options.RollupCacheDuration, _layout.Data);
    }

    public ValueTask<IReadOnlyList<LeaderboardEntry>> GetTopAsync(int count, CancellationToken cancellationToken = default)
        => Now().Reader.GetTopAsync(count, cancellationToken);

    public ValueTask<IReadOnlyList<LeaderboardEntry>> GetPageAsync(long offset, int count, CancellationToken cancellationToken = default)
        => Now().Reader.GetPageAsync(offset, count, cancellationToken);

    public ValueTask<LeaderboardEntry?> GetEntryAsync(string member, CancellationToken cancellationToken = default)
        => Now().Reader.GetEntryAsync(member, cancellationToken);

    public ValueTask<IReadOnlyList<LeaderboardEntry>> GetAroundAsync(string member, int distance, CancellationToken cancellationToken = default)
        => Now().Reader.GetAroundAsync(member, distance, cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
        => Now().Reader.CountAsync(cancellationToken);

    /// <summary>The script's keys: scores, distinct scores, arrival counter.</summary>
    private static KvKey[] Keys(BoardPeriod period) => [period.Board, period.Distinct, period.Arrivals];

    /// <summary>Scores go to the script as integers on a first-to-reach board (its Lua parses them as such), as doubles otherwise.</summary>
    private KvValue Argument(double value) => _encoding.IsEncoded ? (long)value : value;

    private void WriteArguments(KvValue[] args, BoardPeriod period, string op)
    {
        args[0] = op;
        args[1] = _policy;
        args[2] = _encoding.SpanArgument;
        args[3] = _encoding.MaxArgument;
        args[4] = period.ExpireAtMilliseconds;
    }

    private ValueTask<KvResult> WriteAsync(BoardPeriod period, string op, string member, double value, CancellationToken cancellationToken)
    {
        var args = new KvValue[7];
        WriteArguments(args, period, op);
        args[5] = member;
        args[6] = Argument(value);
        return _client.EvalAsync(LeaderboardScripts.Write, Keys(period), args, cancellationToken);
    }

    /// <summary>The write script's reply, or the exception its refusal stands for.</summary>
    private KvResult Written(KvResult reply)
    {
        // A pair's reply is {score, 1 or 0}; a refusal is {'full'} or {'range', score}.
        if (reply.Count == 1)
        {
            throw new InvalidOperationException($"The FirstToReach leaderboard '{Name}' has used all {_encoding.SpanArgument} arrival numbers of its current period: a smaller MaxScore gives more (each bit less doubles them), a Period starts afresh each period.");
        }

        if (reply.Count == 2 && reply[1].Type != KvResultType.Integer)
        {
            throw new ArgumentOutOfRangeException("by", reply[1].AsDouble(), $"The new score would leave the range of the FirstToReach leaderboard '{Name}', ±{_encoding.MaxScore} (KvLeaderboardOptions.MaxScore); nothing was changed.");
        }

        return reply;
    }

    private Current Now()
    {
        var current = _current;
        var now = _time.GetUtcNow();
        return current.Period.Contains(now.UtcDateTime) ? current : _current = CurrentAt(now);
    }

    private Current CurrentAt(DateTimeOffset when)
    {
        var period = _layout.PeriodOf(when);
        return new Current(period, LeaderboardReader.ForBoard(Name, _client, _encoding, Options.IncludeMemberData, period, _layout.Data));
    }

    private sealed record Current(BoardPeriod Period, LeaderboardReader Reader);
}
