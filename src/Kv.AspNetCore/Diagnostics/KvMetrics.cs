using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kv.AspNetCore.Diagnostics;

/// <summary>
/// The building blocks' metrics, on the meter <c>Kv.AspNetCore</c> (add it to OpenTelemetry with
/// <c>AddMeter("Kv.AspNetCore")</c>). Names follow OpenTelemetry's conventions: dotted lower case,
/// durations in seconds as histograms, outcomes as attributes rather than separate instruments.
/// </summary>
internal sealed class KvMetrics : IDisposable
{
    public const string MeterName = "Kv.AspNetCore";

    private static readonly KeyValuePair<string, object?> Hit = new("kv.cache.result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("kv.cache.result", "miss");
    private static readonly KeyValuePair<string, object?> Near = new("kv.cache.level", "near");
    private static readonly KeyValuePair<string, object?> Remote = new("kv.cache.level", "server");

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;

    public KvMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _lookups = _meter.CreateCounter<long>("kv.cache.lookups", "{lookup}", "Cache reads, by result (hit or miss) and the level that answered (near or server).");
        _duration = _meter.CreateHistogram<double>(
            "kv.cache.operation.duration",
            "s",
            "Duration of cache operations that went to the server, by operation (get, set, refresh, remove, get_many, set_many, remove_many, clear).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5] });
        _failures = _meter.CreateCounter<long>("kv.cache.failures", "{failure}", "Cache operations that failed because the server could not be reached, by operation and whether they were ignored (fail open).");
    }

    public void Lookup(bool hit, bool near) => _lookups.Add(1, hit ? Hit : Miss, near ? Near : Remote);

    public void Duration(string operation, long startTimestamp)
    {
        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("kv.cache.operation", operation));
        }
    }

    public void Failure(string operation, bool ignored)
        => _failures.Add(1, new KeyValuePair<string, object?>("kv.cache.operation", operation), new KeyValuePair<string, object?>("kv.failure.ignored", ignored));

    public void Dispose() => _meter.Dispose();
}
