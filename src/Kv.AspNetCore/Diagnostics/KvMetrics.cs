using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kv.AspNetCore.Diagnostics;

/// <summary>
/// The building blocks' metrics, on the meter <c>Kv.AspNetCore</c> (add it to OpenTelemetry with
/// <c>AddMeter("Kv.AspNetCore")</c>). Names follow OpenTelemetry's conventions: dotted lower case,
/// durations in seconds as histograms, outcomes as attributes rather than separate instruments. The
/// cache's, the session's and the rate limiter's instruments live here together.
/// </summary>
internal sealed class KvMetrics : IDisposable
{
    public const string MeterName = "Kv.AspNetCore";

    private static readonly KeyValuePair<string, object?> Hit = new("kv.cache.result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("kv.cache.result", "miss");
    private static readonly KeyValuePair<string, object?> Near = new("kv.cache.level", "near");
    private static readonly KeyValuePair<string, object?> Remote = new("kv.cache.level", "server");
    private static readonly KeyValuePair<string, object?> Permitted = new("kv.ratelimit.result", "permitted");
    private static readonly KeyValuePair<string, object?> Refused = new("kv.ratelimit.result", "refused");
    private static readonly KeyValuePair<string, object?> FailedOpen = new("kv.failure.ignored", true);
    private static readonly KeyValuePair<string, object?> FailedClosed = new("kv.failure.ignored", false);

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _sessionDuration;
    private readonly Counter<long> _sessionFailures;
    private readonly Counter<long> _methodLookups;
    private readonly Counter<long> _rateLimitDecisions;
    private readonly Counter<long> _rateLimitFailures;

    public KvMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _lookups = _meter.CreateCounter<long>("kv.cache.lookups", "{lookup}", "Cache reads, by result (hit or miss) and the level that answered (near or server).");
        _duration = _meter.CreateHistogram<double>(
            "kv.cache.operation.duration",
            "s",
            "Duration of cache operations that went to the server, by operation (get, set, refresh, remove, get_many, set_many, remove_many, clear).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _failures = _meter.CreateCounter<long>("kv.cache.failures", "{failure}", "Cache operations that failed because the server could not be reached, by operation and whether they were ignored (fail open).");
        _sessionDuration = _meter.CreateHistogram<double>(
            "kv.session.operation.duration",
            "s",
            "Duration of session loads and saves, by operation (load, commit).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _sessionFailures = _meter.CreateCounter<long>("kv.session.failures", "{failure}", "Session loads and saves that failed because the server could not be reached, by operation and whether they were ignored (fail open).");
        _methodLookups = _meter.CreateCounter<long>("kv.method_cache.lookups", "{lookup}", "Calls of [Cache] methods, by method and result (hit: answered from the cache; miss: the method ran or a running call was joined).");
        _rateLimitDecisions = _meter.CreateCounter<long>("kv.ratelimit.decisions", "{decision}", "Rate limit decisions made by the server, by policy and result (permitted or refused).");
        _rateLimitFailures = _meter.CreateCounter<long>("kv.ratelimit.failures", "{failure}", "Rate limit decisions the server could not make (unreachable), by policy and whether the permits were granted anyway (fail open).");
    }

    private static double[] DurationBuckets => [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5];

    public void Lookup(bool hit, bool near) => _lookups.Add(1, hit ? Hit : Miss, near ? Near : Remote);

    public void Duration(string operation, long startTimestamp) => Record(_duration, "kv.cache.operation", operation, startTimestamp);

    public void Failure(string operation, bool ignored) => Count(_failures, "kv.cache.operation", operation, ignored);

    public void SessionDuration(string operation, long startTimestamp) => Record(_sessionDuration, "kv.session.operation", operation, startTimestamp);

    public void SessionFailure(string operation, bool ignored) => Count(_sessionFailures, "kv.session.operation", operation, ignored);

    public void MethodLookup(in KeyValuePair<string, object?> method, bool hit)
    {
        if (_methodLookups.Enabled)
        {
            _methodLookups.Add(1, method, hit ? Hit : Miss);
        }
    }
    // The policy tag (kv.ratelimit.policy) is made once per policy, so counting allocates nothing.
    public void RateLimitDecision(KeyValuePair<string, object?> policy, bool permitted) => _rateLimitDecisions.Add(1, policy, permitted ? Permitted : Refused);

    public void RateLimitFailure(KeyValuePair<string, object?> policy, bool permitted) => _rateLimitFailures.Add(1, policy, permitted ? FailedOpen : FailedClosed);

    public void Dispose() => _meter.Dispose();

    private static void Record(Histogram<double> histogram, string tag, string operation, long startTimestamp)
    {
        if (histogram.Enabled)
        {
            histogram.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>(tag, operation));
        }
    }

    private static void Count(Counter<long> counter, string tag, string operation, bool ignored)
        => counter.Add(1, new KeyValuePair<string, object?>(tag, operation), new KeyValuePair<string, object?>("kv.failure.ignored", ignored));
}
