using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kv.AspNetCore.Session;

/// <summary>
/// Session metrics on the meter <c>Kv.AspNetCore</c>, named as the cache's (<see cref="Diagnostics.KvMetrics"/>):
/// the duration of each load and save that went to the server, and the ones that failed because it
/// could not be reached.
/// </summary>
internal sealed class KvSessionMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;

    public KvSessionMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(Diagnostics.KvMetrics.MeterName) ?? new Meter(Diagnostics.KvMetrics.MeterName);
        _duration = _meter.CreateHistogram<double>(
            "kv.session.operation.duration",
            "s",
            "Duration of session loads and saves, by operation (load, commit).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5] });
        _failures = _meter.CreateCounter<long>("kv.session.failures", "{failure}", "Session loads and saves that failed because the server could not be reached, by operation and whether they were ignored (fail open).");
    }

    public void Duration(string operation, long startTimestamp)
    {
        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("kv.session.operation", operation));
        }
    }

    public void Failure(string operation, bool ignored)
        => _failures.Add(1, new KeyValuePair<string, object?>("kv.session.operation", operation), new KeyValuePair<string, object?>("kv.failure.ignored", ignored));

    public void Dispose() => _meter.Dispose();
}
