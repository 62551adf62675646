using System.Diagnostics.Tracing;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// Which types a run allocates, from the runtime's allocation ticks (one event each ~100 KB allocated,
/// naming the type whose allocation crossed the mark): over a run of a few hundred megabytes the
/// samples split the bytes among types in proportion, as PerfView's allocation view does. In-process,
/// so no trace tool is needed.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytesByType = [];
    private volatile bool _recording;

    public void Start()
    {
        lock (_bytesByType)
        {
            _bytesByType.Clear();
        }

        _recording = true;
    }

    /// <summary>Stops and returns each type's share of the sampled bytes, largest first.</summary>
    public List<(string Type, double Share)> Stop()
    {
        _recording = false;
        lock (_bytesByType)
        {
            double total = Math.Max(1, _bytesByType.Values.Sum());
            return _bytesByType.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value / total)).ToList();
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        int type = eventData.PayloadNames.IndexOf("TypeName");
        int amount = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (type < 0 || amount < 0)
        {
            return;
        }

        string name = eventData.Payload![type] as string ?? "?";
        long bytes = Convert.ToInt64(eventData.Payload[amount], System.Globalization.CultureInfo.InvariantCulture);
        lock (_bytesByType)
        {
            _bytesByType[name] = _bytesByType.GetValueOrDefault(name) + bytes;
        }
    }
}
