using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The seeds and lengths of the seeded compatibility streams: fixed by default so a failure
/// reproduces; <c>KV_COMPAT_SEEDS=7,8,9</c> and <c>KV_COMPAT_STEPS=20000</c> widen a local run.
/// </summary>
public static class StreamSettings
{
    /// <summary>Each seed under RESP2 and under RESP3 (after HELLO 3), whose reply types differ (maps, nulls, doubles).</summary>
    public static TheoryData<int, int> SeedsAndProtocols()
    {
        var data = new TheoryData<int, int>();
        var configured = Environment.GetEnvironmentVariable("KV_COMPAT_SEEDS");
        IEnumerable<int> seeds = string.IsNullOrWhiteSpace(configured)
            ? [1, 2, 3]
            : configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(seed => int.Parse(seed, CultureInfo.InvariantCulture));
        foreach (int seed in seeds)
        {
            data.Add(seed, 2);
            data.Add(seed, 3);
        }

        return data;
    }

    /// <summary>KV_COMPAT_STEPS, or the stream's own default.</summary>
    public static int Steps(int defaultSteps)
        => int.TryParse(Environment.GetEnvironmentVariable("KV_COMPAT_STEPS"), CultureInfo.InvariantCulture, out int steps) ? steps : defaultSteps;
}
