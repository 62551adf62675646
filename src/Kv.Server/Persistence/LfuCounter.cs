namespace Kv.Server.Persistence;

/// <summary>
/// Redis's LFU counter (evict.c), kept in the same 24 bits as the LRU clock under an LFU
/// maxmemory-policy: the high 16 bits are the minute of the last decrement (ldt), the low 8 bits a
/// logarithmic counter that starts at LFU_INIT_VAL, grows with probability 1/((counter-5)*lfu-log-factor+1)
/// and loses one per lfu-decay-time minutes without access.
/// </summary>
internal static class LfuCounter
{
    public const int InitialValue = 5;

    /// <summary>LFUGetTimeInMinutes: unix minutes, 16 bits.</summary>
    public static uint Minutes(long nowMs) => (uint)(nowMs / 1000 / 60) & 0xFFFF;

    /// <summary>A new key: LFU_INIT_VAL, so it is not evicted before it had a chance to be used.</summary>
    public static uint Initial(long nowMs) => (Minutes(nowMs) << 8) | InitialValue;

    /// <summary>updateLFU: decay, then a logarithmic increment, stamped with the current minute.</summary>
    public static uint Accessed(uint value, long nowMs, int logFactor, int decayTime)
    {
        uint counter = Decayed(value, nowMs, decayTime);
        counter = LogIncrement(counter, logFactor);
        return (Minutes(nowMs) << 8) | counter;
    }

    /// <summary>LFUDecrAndReturn: the counter after the decay due since the stored minute (OBJECT FREQ shows it).</summary>
    public static uint Decayed(uint value, long nowMs, int decayTime)
    {
        uint ldt = value >> 8;
        uint counter = value & 0xFF;
        uint now = Minutes(nowMs);
        uint elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
        uint periods = decayTime > 0 ? elapsed / (uint)decayTime : 0;
        return periods > counter ? 0 : counter - periods;
    }

    // LFULogIncr.
    private static uint LogIncrement(uint counter, int logFactor)
    {
        if (counter == 255)
        {
            return 255;
        }

        double r = Random.Shared.NextDouble();
        double baseValue = Math.Max(0, (double)counter - InitialValue);
        double p = 1.0 / ((baseValue * logFactor) + 1);
        return r < p ? counter + 1 : counter;
    }
}
