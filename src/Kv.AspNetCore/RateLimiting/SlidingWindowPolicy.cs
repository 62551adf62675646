using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Kv.AspNetCore.Diagnostics;
using Kv.Client;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// A validated policy made ready for decisions: the script, the arguments that do not change between
/// calls (made once; only a permit count other than 1 makes a new array), the <c>RateLimit-Policy</c>
/// header's value and each limit's name as a structured-field string. Shared by every partition's limiter.
/// </summary>
internal sealed partial class SlidingWindowPolicy
{
    private static readonly long LogInterval = Stopwatch.Frequency * 10;

    private readonly KvClient _client;
    private readonly KvMetrics _metrics;
    private readonly ILogger _logger;
    private readonly KvScript _script;
    private readonly KvValue[] _onePermitArgs;
    private readonly int[] _permitLimits;
    private readonly KeyValuePair<string, object?> _policyTag;
    private readonly KvRateLimitLease _unavailableLease;
    private long _lastFailureLog;
    private int _failuresNotLogged;

    public SlidingWindowPolicy(string name, KvSlidingWindowRateLimiterOptions options, KvClient client, KvMetrics metrics, ILogger logger)
    {
        Name = name;
        Options = options;
        _client = client;
        _metrics = metrics;
        _logger = logger;
        _script = options.Algorithm == KvSlidingWindowAlgorithm.Counter ? SlidingWindowScripts.Counter : SlidingWindowScripts.Log;
        int count = 1 + options.AdditionalLimits.Count;
        _permitLimits = new int[count];
        var windows = new TimeSpan[count];
        HeaderNames = new string[count];
        for (int i = 0; i < count; i++)
        {
            var limit = i == 0 ? null : options.AdditionalLimits[i - 1];
            _permitLimits[i] = limit?.PermitLimit ?? options.PermitLimit;
            windows[i] = limit?.Window ?? options.Window;
            HeaderNames[i] = StructuredString(LimitName(name, i, limit?.Name));
        }

        MinPermitLimit = _permitLimits.Min();
        _onePermitArgs = new KvValue[1 + (2 * count)];
        _onePermitArgs[0] = Ascii(1);
        var header = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            _onePermitArgs[1 + (2 * i)] = Ascii(_permitLimits[i]);
            _onePermitArgs[2 + (2 * i)] = Ascii(windows[i].Ticks / TimeSpan.TicksPerMicrosecond);
            header.Append(i == 0 ? "" : ", ").Append(HeaderNames[i]).Append(";q=").Append(_permitLimits[i].ToString(CultureInfo.InvariantCulture));

            // The draft's window is whole seconds ("sub-second precision is not supported"): left out otherwise.
            if (windows[i].Ticks % TimeSpan.TicksPerSecond == 0)
            {
                header.Append(";w=").Append((windows[i].Ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture));
            }
        }

        PolicyHeader = header.ToString();
        _policyTag = new("kv.ratelimit.policy", name);
        _unavailableLease = new KvRateLimitLease(this, options.OnServerUnavailable == KvRateLimitFailureMode.Permit, "The rate limit server could not be reached.");
        UndecidedLease = new KvRateLimitLease(this, false, "AttemptAcquire cannot wait for the server: call AcquireAsync.");
        PartitionKeyOf = options.PartitionKey ?? RemoteAddress;
        CreateLimiter = key => new KvSlidingWindowRateLimiter(this, key);
    }

    public string Name { get; }

    public KvSlidingWindowRateLimiterOptions Options { get; }

    /// <summary>The <c>RateLimit-Policy</c> field's value: every limit, as <c>"api";q=100;w=60</c>.</summary>
    public string PolicyHeader { get; }

    /// <summary>Each limit's name as a structured-field string, quotes included.</summary>
    public string[] HeaderNames { get; }

    public int LimitCount => _permitLimits.Length;

    /// <summary>The largest permit count a call may ask for: beyond it no wait would ever grant it.</summary>
    public int MinPermitLimit { get; }

    /// <summary>Refused without asking the server (what AttemptAcquire answers).</summary>
    public KvRateLimitLease UndecidedLease { get; }

    public Func<Microsoft.AspNetCore.Http.HttpContext, string> PartitionKeyOf { get; }

    /// <summary>Makes a partition's limiter (one delegate for every partition).</summary>
    public Func<string, RateLimiter> CreateLimiter { get; }

    /// <summary>The keys of a partition, one per limit, encoded once for the partition's limiter.</summary>
    public KvKey[] KeysOf(string partitionKey)
    {
        var keys = new KvKey[_permitLimits.Length];
        string stem = string.Concat(Options.KeyPrefix, Name, ":", partitionKey, ":");
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Encoding.UTF8.GetBytes(stem + i.ToString(CultureInfo.InvariantCulture));
        }

        return keys;
    }

    /// <summary>
    /// One script call: every limit checked, the permits taken from all of them or from none. The
    /// decision is counted on <paramref name="limiter"/> and handed to the request's RateLimit headers
    /// (<see cref="RateLimitResponseState"/>, when <c>UseKvRateLimiter</c> serves the request).
    /// </summary>
    public async ValueTask<RateLimitLease> DecideAsync(KvSlidingWindowRateLimiter limiter, KvKey[] keys, int permitCount, CancellationToken cancellationToken)
    {
        var args = _onePermitArgs;
        if (permitCount != 1)
        {
            args = (KvValue[])_onePermitArgs.Clone();
            args[0] = permitCount;
        }

        KvRateLimitLease lease;
        try
        {
            // The memory overload: the fixed arguments are not copied for each call.
            var reply = await _client.EvalAsync(_script, keys.AsMemory(), args.AsMemory(), cancellationToken).ConfigureAwait(false);
            bool granted = reply[0].AsInt64() == 1;
            var limits = new long[2 * _permitLimits.Length];
            for (int i = 0; i < limits.Length; i++)
            {
                limits[i] = reply[i + 3].AsInt64();
            }

            _metrics.RateLimitDecision(_policyTag, granted);
            lease = new KvRateLimitLease(this, granted, reply[1].AsInt64(), reply[2].AsInt64(), limits);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex) && !cancellationToken.IsCancellationRequested)
        {
            Unavailable(ex);
            lease = _unavailableLease;
        }

        limiter.Record(lease);
        RateLimitResponseState.Current?.Add(lease);
        return lease;
    }

    private void Unavailable(Exception ex)
    {
        bool permit = Options.OnServerUnavailable == KvRateLimitFailureMode.Permit;
        _metrics.RateLimitFailure(_policyTag, permit);

        // One warning per policy every 10 s: an outage must not flood the log at the request rate.
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastFailureLog);
        if ((last != 0 && now - last < LogInterval) || Interlocked.CompareExchange(ref _lastFailureLog, now, last) != last)
        {
            Interlocked.Increment(ref _failuresNotLogged);
            return;
        }

        LogUnavailable(_logger, Name, permit ? "permitted" : "refused", Options.OnServerUnavailable, Interlocked.Exchange(ref _failuresNotLogged, 0), ex.Message);
    }

    private static string RemoteAddress(Microsoft.AspNetCore.Http.HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "";

    private static KvValue Ascii(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The name a limit has in the headers: its own, the policy's for the first, else the policy's with its index.</summary>
    internal static string LimitName(string policy, int index, string? name)
        => name ?? (index == 0 ? policy : string.Concat(policy, "-", index.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A structured-field string (RFC 9651 §3.3.3): quoted, with backslash and quote escaped (the validator allows printable ASCII only).</summary>
    private static string StructuredString(string value)
        => string.Concat("\"", value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal), "\"");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv rate limiter policy {Policy}: the server could not be reached, so requests are {Outcome} (OnServerUnavailable = {Mode}; {NotLogged} more failures since the last warning). {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string policy, string outcome, KvRateLimitFailureMode mode, int notLogged, string reason);
}
