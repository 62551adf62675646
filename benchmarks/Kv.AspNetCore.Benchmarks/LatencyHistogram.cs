using System.Diagnostics;
using System.Numerics;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// Latencies in <see cref="Stopwatch"/> ticks, counted in log-linear buckets (exact below 128 ticks,
/// then 64 buckets per power of two: under 1.6% error), as HdrHistogram does: recording costs an
/// increment and allocates nothing, whatever the run's length. One per caller, merged afterwards.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Exact = 128;
    private const int PerPowerOfTwo = 64;
    private readonly long[] _counts = new long[Exact + ((63 - 7) * PerPowerOfTwo)];

    public long Count { get; private set; }

    public void Record(long ticks)
    {
        _counts[IndexOf(Math.Max(0, ticks))]++;
        Count++;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The latency at <paramref name="quantile"/> (0.99 for p99) in microseconds: the upper edge of its bucket.</summary>
    public double Microseconds(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return UpperEdge(i) * 1_000_000.0 / Stopwatch.Frequency;
            }
        }

        return UpperEdge(_counts.Length - 1) * 1_000_000.0 / Stopwatch.Frequency;
    }

    private static int IndexOf(long ticks)
    {
        if (ticks < Exact)
        {
            return (int)ticks;
        }

        // The top 7 bits of the value pick the bucket within its power of two.
        int shift = 63 - BitOperations.LeadingZeroCount((ulong)ticks) - 6;
        return Exact + ((shift - 1) * PerPowerOfTwo) + (int)((ticks >> shift) - PerPowerOfTwo);
    }

    private static long UpperEdge(int index)
    {
        if (index < Exact)
        {
            return index;
        }

        int shift = ((index - Exact) / PerPowerOfTwo) + 1;
        long top = ((index - Exact) % PerPowerOfTwo) + PerPowerOfTwo;
        return ((top + 1) << shift) - 1;
    }
}
